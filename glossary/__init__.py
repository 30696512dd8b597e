"""tarjama.glossary: YAML glossaries, Arabic normalisation and clitic-aware term matching.

- :func:`load_glossary` / :func:`parse_glossary` read the schema of glossary/README.md and
  raise :class:`GlossaryError` listing every problem; :func:`dump_glossary` writes it back.
- :func:`normalize` folds Arabic spelling variants for matching, keeping a map back to the
  original text; output always uses the original.
- :class:`Matcher` finds terms as whole words, with proclitics (و ف ب ل ك ال لل ...),
  longest match first, inline terms before glossaries.
"""

from tarjama.glossary.bundled import bundled_glossary_names, bundled_glossary_path
from tarjama.glossary.clitics import ProcliticParts, describe_proclitic
from tarjama.glossary.matcher import Match, Matcher
from tarjama.glossary.model import (
    KINDS,
    MAX_FILE_BYTES,
    MAX_TERM_BYTES,
    Glossary,
    GlossaryError,
    Problem,
    Term,
    match_key,
    validate_glossary,
    validate_terms,
)
from tarjama.glossary.normalize import Normalized, contains_arabic_letter, normalize
from tarjama.glossary.yaml_io import dump_glossary, load_glossary, parse_glossary

__all__ = [
    "KINDS",
    "MAX_FILE_BYTES",
    "MAX_TERM_BYTES",
    "Glossary",
    "GlossaryError",
    "Match",
    "Matcher",
    "Normalized",
    "Problem",
    "ProcliticParts",
    "Term",
    "bundled_glossary_names",
    "bundled_glossary_path",
    "contains_arabic_letter",
    "describe_proclitic",
    "dump_glossary",
    "load_glossary",
    "match_key",
    "normalize",
    "parse_glossary",
    "validate_glossary",
    "validate_terms",
]
