"""Glossaries and terms, and the rules every glossary must follow wherever it comes from.

The YAML loader, the gRPC servicer (glossaries pushed over the wire) and inline terms all
check with :func:`validate_glossary` / :func:`validate_terms`, so one set of rules holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tarjama.glossary.normalize import WORD, contains_arabic_letter, normalize_text

KINDS = ("person", "organization", "place", "other")
ARTICLES = ("the", "none", "model")
# People and most places take no "the" in English (mark "the Kremlin" and its like); for
# organisations and other terms the plain translation decides.
ARTICLE_DEFAULTS = {"person": "none", "place": "none"}
CONTEXT_PATTERN_HELP = (
    "write the Arabic words around the term with '*' for the term, e.g. 'صلاة *' (the word "
    "before), '* الروسية' (the word after), 'ب*' (ب attached), '... حديقة ... *' "
    "('...': any words)"
)
SOURCE_LANGUAGE = "ar"
TARGET_LANGUAGE = "en"
MAX_TERM_BYTES = 1024  # per source form and per target, UTF-8
MAX_FILE_BYTES = 10 * 1024 * 1024
# Parsing is ~20k terms per second per core: this bounds what one write can cost.
MAX_TERMS = 100_000
MAX_VERSION = 2**63 - 1  # versions travel as uint64; leave room to count up
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,63}")

# Bidi embeddings, overrides and isolates can make text display differently from what
# it is, so a reviewer could approve a term that matches something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Term:
    """One glossary entry: Arabic forms that must always become `target`."""

    sources: tuple[str, ...]
    target: str
    kind: str = "other"
    note: str = ""
    exact: bool = False  # match the forms only as written: no proclitics in front
    # The English article in front of the rendering: "the", "none", or "model" (as the
    # model's plain translation writes it); "" for the kind's default (ARTICLE_DEFAULTS).
    article: str = ""
    guard: bool = False  # not a name: keeps shorter terms off these words, places nothing
    ambiguous: bool = False  # also an ordinary noun: an adjective after it shows the noun
    # Context patterns (see CONTEXT_PATTERN_HELP): where the term is not the name, and,
    # when given, the only contexts where it is.
    skip_when: tuple[str, ...] = ()
    apply_when: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)  # where the term starts, 1-based

    @property
    def article_rule(self) -> str:
        """The article rule in force: the term's own, else its kind's default."""
        return self.article or ARTICLE_DEFAULTS.get(self.kind, "model")

    @property
    def label(self) -> str:
        """How messages name the term: its first source form, else its target."""
        return next((s for s in self.sources if s.strip()), "") or self.target


@dataclass(frozen=True)
class Glossary:
    name: str
    terms: tuple[Term, ...] = ()
    description: str = ""
    source_language: str = SOURCE_LANGUAGE
    target_language: str = TARGET_LANGUAGE
    version: int | None = None  # the server bumps it on every update


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a glossary, located as precisely as known."""

    file: str
    line: int | None
    term: str  # the term's label, "" for problems outside any term
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.term}: {self.message}" if self.term else f"{where}: {self.message}"


class GlossaryError(Exception):
    """A glossary was rejected; `problems` lists every reason, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def match_key(source: str) -> tuple[str, ...]:
    """The normalised words a source form matches as; equal keys match the same text."""
    return tuple(WORD.findall(normalize_text(source)))


def validate_glossary(
    glossary: Glossary, file: str, field_lines: Mapping[str, int] | None = None
) -> list[Problem]:
    """Every problem with `glossary` (an empty list when it is valid).

    `field_lines` gives the line of each top-level key, when the glossary came from a file.
    """
    lines = field_lines or {}
    problems: list[Problem] = []

    def report(key: str, message: str) -> None:
        problems.append(Problem(file, lines.get(key), "", message))

    if not glossary.name:
        report("name", "name is missing: add `name:` (lower-case letters, digits, '-', '_')")
    elif not NAME_PATTERN.fullmatch(glossary.name):
        report(
            "name",
            f"name {_brief(glossary.name)} is not valid: use 1-64 lower-case letters, digits, "
            "'-' or '_', starting with a letter",
        )
    for key, actual, expected in (
        ("source_language", glossary.source_language, SOURCE_LANGUAGE),
        ("target_language", glossary.target_language, TARGET_LANGUAGE),
    ):
        if actual != expected:
            report(
                key,
                f"{key} must be {expected!r} (tarjama translates ar to en), not {_brief(actual)}",
            )
    version = glossary.version
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION
    ):
        report(
            "version",
            f"version must be a positive integer, not {_brief(version)} (at most {MAX_VERSION})",
        )
    if _has_control(glossary.description, allow_newlines=True):
        report("description", "description contains control characters: remove them")
    if len(glossary.terms) > MAX_TERMS:
        report(
            "terms",
            f"{len(glossary.terms)} terms is over the limit of {MAX_TERMS}: split the glossary",
        )
        return problems  # checking each of them would cost what the limit prevents
    problems.extend(validate_terms(glossary.terms, file))
    return problems


def validate_terms(terms: Iterable[Term], file: str) -> list[Problem]:
    """Problems of each term, and duplicate or conflicting sources between terms."""
    problems: list[Problem] = []
    first_seen: dict[tuple[str, ...], tuple[Term, str]] = {}
    for term in terms:
        problems.extend(
            Problem(file, term.line, _shorten(term.label), message)
            for message in _term_problems(term)
        )
        for source in term.sources:
            key = match_key(source) if isinstance(source, str) else ()
            if not key:
                continue
            if key not in first_seen:
                first_seen[key] = (term, source)
                continue
            other, other_source = first_seen[key]
            where = (
                f"line {other.line}"
                if other.line is not None
                else f"term {_shorten(other.label)!r}"
            )
            same = (
                ""
                if source == other_source
                else f" ({_shorten(other_source)!r} is the same after normalisation)"
            )
            if other.target != term.target:
                message = (
                    f"source {_shorten(source)!r} is already at {where} with a different target "
                    f"{_shorten(other.target)!r} (here {_shorten(term.target)!r}){same}: "
                    "keep one target per source"
                )
            else:
                message = (
                    f"duplicate source {_shorten(source)!r}, already at {where}{same}: remove one"
                )
            problems.append(Problem(file, term.line, _shorten(term.label), message))
    return problems


def _term_problems(term: Term) -> list[str]:
    messages: list[str] = []
    if not term.sources:
        messages.append("source is missing or empty: give at least one Arabic form")
    for source in term.sources:
        if not isinstance(source, str) or not source.strip():
            messages.append("a source form is empty: write the Arabic form")
            continue
        if not contains_arabic_letter(source):
            messages.append(f"source {_shorten(source)!r} has no Arabic letter")
        messages.extend(_text_problems(f"source {_shorten(source)!r}", source))
    if not isinstance(term.target, str) or not term.target.strip():
        messages.append("target is missing or empty: write the English rendering")
    else:
        messages.extend(_text_problems(f"target {_shorten(term.target)!r}", term.target))
    if term.kind not in KINDS:
        messages.append(f"kind {_brief(term.kind)} is not one of {', '.join(KINDS)}")
    if not isinstance(term.note, str) or _has_control(term.note, allow_newlines=True):
        messages.append("note must be text without control characters")
    if not isinstance(term.exact, bool):
        messages.append(f"exact must be true or false, not {term.exact!r}")
    if term.article not in ("", *ARTICLES):
        messages.append(
            f"article {_shorten(str(term.article))!r} is not one of {', '.join(ARTICLES)}"
        )
    for key in ("guard", "ambiguous"):
        if not isinstance(getattr(term, key), bool):
            messages.append(f"{key} must be true or false")
    for key in ("skip_when", "apply_when"):
        for pattern in getattr(term, key):
            if not isinstance(pattern, str) or pattern.count("*") != 1:
                messages.append(f"{key} pattern {_shorten(str(pattern))!r}: {CONTEXT_PATTERN_HELP}")
    return messages


def _text_problems(what: str, text: str) -> list[str]:
    messages = []
    if _has_control(text, allow_newlines=False):
        messages.append(f"{what} contains control characters: remove them")
    size = len(text.encode("utf-8"))
    if size > MAX_TERM_BYTES:
        messages.append(f"{what} is {size} UTF-8 bytes, over the {MAX_TERM_BYTES} limit")
    return messages


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _brief(value: object) -> str:
    """`value` as messages quote it, bounded whatever its size."""
    return _shorten(repr(value), 100)


def _has_control(text: str, *, allow_newlines: bool) -> bool:
    for char in text:
        if char in "\n\t" and allow_newlines:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc":
            return True
    return False
