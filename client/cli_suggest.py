"""`tarjama glossary suggest CORPUS… --out draft.yaml`: a glossary draft mined from translations.

The names of a corpus (:func:`tarjama.client.cli_consistency.collect`: Arabic aligned to
capitalised English, proclitics folded) seen at least ``--min-count`` times become
entries whose rendering is the one the translations used most; a name whose most frequent
rendering is less than ``--min-agreement`` of its occurrences is left out (the corpus
does not say how to write it: `tarjama consistency` shows it). Names that the glossaries
given with ``--glossary`` already cover (any of their terms found in the name) are left
out. Each entry's note says how often it was seen, in how many documents, the variants
and an example sentence, for the person who reviews the draft before pushing it
(`tarjama glossary push`). The draft is a valid glossary: `tarjama glossary validate`
accepts it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tarjama.client.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError
from tarjama.client.cli_consistency import NameRecord, collect
from tarjama.client.cli_corpus import add_corpus_arguments, read_corpus
from tarjama.glossary import (
    Glossary,
    GlossaryError,
    Matcher,
    Term,
    dump_glossary,
    match_key,
    validate_glossary,
)

EXAMPLE_CHARS = 120  # of each side of a note's example sentence


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "suggest",
        help="mine a draft glossary of names from translations of a corpus",
        description=(
            "Find names in translations (JSON outputs of `tarjama translate -f json "
            "--alignment`, or Arabic .txt files and folders translated here) and write "
            "the frequent, consistently rendered ones that no --glossary covers as a "
            "glossary YAML draft, a note per entry, for a person to review."
        ),
    )
    add_corpus_arguments(parser)
    parser.add_argument(
        "--out", "-o", type=Path, metavar="FILE", help="write the draft here (default: stdout)"
    )
    parser.add_argument(
        "--glossary",
        "-g",
        action="append",
        default=[],
        metavar="FILE",
        help="glossary file or bundled name whose terms are left out (repeat)",
    )
    parser.add_argument("--name", default="", help="the draft's glossary name (default: --out's)")
    parser.add_argument(
        "--min-count", type=int, default=2, metavar="N", help="seen at least N times (default 2)"
    )
    parser.add_argument(
        "--min-agreement",
        type=float,
        default=0.6,
        metavar="SHARE",
        help="the chosen rendering's share of the occurrences, 0-1 (default 0.6)",
    )
    parser.set_defaults(func=run_suggest)


def run_suggest(args: argparse.Namespace) -> int:
    from tarjama.client.cli_glossary import _load

    if not 0 <= args.min_agreement <= 1:
        raise CliError(
            f"--min-agreement {args.min_agreement} is out of range: use 0 to 1", EXIT_USAGE
        )
    known: list[tuple[str, Glossary]] = []
    for argument in args.glossary:
        try:
            glossary = _load(argument)
        except GlossaryError as error:
            raise CliError(f"--glossary {argument}: {error.problems[0]}", EXIT_USAGE) from None
        known.append((glossary.name, glossary))
    name = args.name or _glossary_name(args.out)
    records = collect(read_corpus(args))
    terms = suggest(records, Matcher(known), args.min_count, args.min_agreement)
    draft = Glossary(
        name=name,
        terms=tuple(terms),
        description="Draft mined by `tarjama glossary suggest`: review every entry "
        "(rendering, kind, article) before pushing it.",
    )
    problems = validate_glossary(draft, str(args.out or "draft"))
    if problems:  # a bug here, not the person's: say so rather than write a broken file
        print(*problems, sep="\n", file=sys.stderr)
        return EXIT_FAILURE
    text = dump_glossary(draft)
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot write {args.out}: {error.strerror or error}") from None
        print(f"{len(terms)} suggested term(s) written to {args.out}", file=sys.stderr)
    return EXIT_OK


def suggest(
    records: dict[str, NameRecord], known: Matcher, min_count: int, min_agreement: float
) -> list[Term]:
    """The entries of the draft, the most frequent names first."""
    terms: list[Term] = []
    seen_keys: set[tuple[str, ...]] = set()
    for record in sorted(records.values(), key=lambda r: -len(r.occurrences)):
        total = len(record.occurrences)
        english, count = record.renderings.most_common(1)[0]
        key = match_key(record.arabic)
        if total < min_count or count / total < min_agreement or key in seen_keys:
            continue
        if known.find(record.arabic):
            continue  # a given glossary has a term for (part of) it
        seen_keys.add(key)
        terms.append(Term(sources=(record.arabic,), target=english, note=_note(record, english)))
    return terms


def _note(record: NameRecord, english: str) -> str:
    renderings = record.renderings
    total = len(record.occurrences)
    variants = [f"{variant} ({n})" for variant, n in renderings.most_common() if variant != english]
    example = record.where(english)[0]
    parts = [
        f"seen {total} times in {record.documents} document(s), "
        f"{renderings[english]} as {english!r}",
        f"variants: {', '.join(variants)}" if variants else "no variants",
        f"e.g. {example.document}#{example.sentence}: «{_short(example.source_sentence)}» → "
        f"{_short(example.target_sentence)!r}",
        "kind and article not known: set them",
    ]
    return "; ".join(parts)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def _glossary_name(out: Path | None) -> str:
    """A glossary name (lower case, digits, - and _) from the draft's file name."""
    stem = re.sub(r"[^a-z0-9_-]+", "-", out.stem.lower()).strip("-_") if out else ""
    return stem[:64] if stem[:1].isalpha() else "draft"
