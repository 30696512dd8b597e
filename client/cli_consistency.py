"""`tarjama consistency FILES…`: names rendered in more than one way across a corpus.

Names are found from the word alignment of each sentence pair
(:mod:`tarjama.glossary.names`, gathered by :mod:`tarjama.glossary.name_records`): Arabic
words aligned to capitalised English that is not a title, a common word or a lone
sentence-initial capital, and not a glossary term's rendering (the glossary already makes
those consistent). Occurrences of one Arabic name
(normalised, proclitics folded) are gathered across every document; a name with two or
more renderings is reported with each rendering's count and where it occurs (document and
sentence number), as a table or as JSON (``--json``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable

from tarjama.client.cli import EXIT_OK
from tarjama.client.cli_corpus import CorpusDocument, add_corpus_arguments, read_corpus
from tarjama.glossary.name_records import NameRecord, Occurrence, collect_names

__all__ = ["NameRecord", "Occurrence", "collect", "inconsistent", "register"]

WHERE_SHOWN = 3  # locations per rendering in the table; JSON has them all


def collect(documents: Iterable[CorpusDocument]) -> dict[str, NameRecord]:
    """The names of a corpus by canonical key, in order of first occurrence."""
    return collect_names((document.name, document.translation.sentences) for document in documents)


def inconsistent(records: dict[str, NameRecord], min_count: int) -> list[NameRecord]:
    """Names with two or more renderings, the most frequent names first."""
    chosen = [
        record
        for record in records.values()
        if len(record.renderings) > 1 and len(record.occurrences) >= min_count
    ]
    return sorted(chosen, key=lambda record: -len(record.occurrences))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "consistency",
        help="report names translated in more than one way across documents",
        description=(
            "Find names (from the word alignment) that the translations of a corpus render "
            "in more than one way: each Arabic name with its renderings, counts and where. "
            "FILE is a JSON output of `tarjama translate -f json --alignment` (one response "
            "a line, or --jsonl output), or Arabic .txt files and folders to translate."
        ),
    )
    add_corpus_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--min-count",
        type=int,
        default=2,
        metavar="N",
        help="only names seen at least N times (default 2)",
    )
    parser.set_defaults(func=run_consistency)


def run_consistency(args: argparse.Namespace) -> int:
    documents = read_corpus(args)
    records = inconsistent(collect(documents), args.min_count)
    if args.json:
        print(json.dumps(report_json(records, len(documents)), ensure_ascii=False, indent=2))
    else:
        print_table(records, len(documents))
    return EXIT_OK


def report_json(records: list[NameRecord], documents: int) -> dict:
    return {
        "documents": documents,
        "names": [
            {
                "arabic": record.arabic,
                "key": record.key,
                "occurrences": len(record.occurrences),
                "documents": record.documents,
                "renderings": [
                    {
                        "english": english,
                        "count": count,
                        "where": [
                            {"document": o.document, "sentence": o.sentence}
                            for o in record.where(english)
                        ],
                    }
                    for english, count in record.renderings.most_common()
                ],
            }
            for record in records
        ],
    }


def print_table(records: list[NameRecord], documents: int) -> None:
    if not records:
        print(f"no name rendered in more than one way in {documents} document(s)")
        return
    rows = [("ARABIC", "RENDERING", "COUNT", "WHERE")]
    for record in records:
        for index, (english, count) in enumerate(record.renderings.most_common()):
            places = [f"{o.document}#{o.sentence}" for o in record.where(english)]
            shown = ", ".join(places[:WHERE_SHOWN])
            if len(places) > WHERE_SHOWN:
                shown += f", … {len(places) - WHERE_SHOWN} more"
            rows.append((record.arabic if index == 0 else "", english, str(count), shown))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), end=""
        )
        print("  " + row[3])
    print(f"{len(records)} name(s) rendered in more than one way in {documents} document(s)")
