"""Glossaries written as YAML in the schema of glossary/README.md, which
:func:`tarjama.glossary.yaml_io.parse_glossary` reads back equal."""

from __future__ import annotations

from typing import Any

import yaml

from tarjama.glossary.model import Glossary, Term


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; a term's several source forms on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_sources(dumper: yaml.SafeDumper, forms: tuple) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", forms, flow_style=True)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(tuple, _represent_sources)
_Dumper.add_representer(str, _represent_text)


def dump_glossary(glossary: Glossary) -> str:
    """YAML text of `glossary` in the same schema; parse_glossary reads it back equal."""
    document: dict[str, Any] = {"name": glossary.name}
    if glossary.description:
        document["description"] = glossary.description
    document["source_language"] = glossary.source_language
    document["target_language"] = glossary.target_language
    if glossary.version is not None:
        document["version"] = glossary.version
    document["terms"] = [_term_document(term) for term in glossary.terms]
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000)


def _term_document(term: Term) -> dict[str, Any]:
    document: dict[str, Any] = {
        "source": term.sources[0] if len(term.sources) == 1 else tuple(term.sources),
        "target": term.target,
        "kind": term.kind,
    }
    if term.note:
        document["note"] = term.note
    for key in ("exact", "guard", "ambiguous"):
        if getattr(term, key):
            document[key] = True
    if term.article:
        document["article"] = term.article
    for key in ("skip_when", "apply_when"):
        if getattr(term, key):
            document[key] = list(getattr(term, key))
    return document
