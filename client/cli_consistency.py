"""`tarjama consistency FILES…`: names rendered in more than one way across a corpus.

Names are found from the word alignment of each sentence pair
(:mod:`tarjama.glossary.names`): Arabic words aligned to capitalised English that is not a
title, a common word or a lone sentence-initial capital, and not a glossary term's
rendering (the glossary already makes those consistent). Occurrences of one Arabic name
(normalised, proclitics folded) are gathered across every document; a name with two or
more renderings is reported with each rendering's count and where it occurs (document and
sentence number), as a table or as JSON (``--json``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from tarjama.client.cli import EXIT_OK
from tarjama.client.cli_corpus import CorpusDocument, add_corpus_arguments, read_corpus
from tarjama.glossary.names import canonical_keys, name_spans

WHERE_SHOWN = 3  # locations per rendering in the table; JSON has them all


@dataclass(frozen=True)
class Occurrence:
    document: str
    sentence: int  # 1-based, in the document's sentence pairs
    arabic: str  # as written
    english: str
    source_sentence: str
    target_sentence: str


@dataclass
class NameRecord:
    """Every occurrence of one Arabic name in a corpus."""

    key: str
    occurrences: list[Occurrence] = field(default_factory=list)
    bare_forms: Counter[str] = field(default_factory=Counter)  # written without a proclitic

    @property
    def renderings(self) -> Counter[str]:
        return Counter(occurrence.english for occurrence in self.occurrences)

    @property
    def arabic(self) -> str:
        """The most frequent written form, without a proclitic where one was seen bare."""
        forms = self.bare_forms or Counter(o.arabic for o in self.occurrences)
        return forms.most_common(1)[0][0]

    @property
    def documents(self) -> int:
        return len({occurrence.document for occurrence in self.occurrences})

    def where(self, english: str) -> list[Occurrence]:
        return [occurrence for occurrence in self.occurrences if occurrence.english == english]


def collect(documents: Iterable[CorpusDocument]) -> dict[str, NameRecord]:
    """The names of a corpus by canonical key, in order of first occurrence."""
    found = []
    for document in documents:
        for number, pair in enumerate(document.translation.sentences, start=1):
            for name in name_spans(pair):
                occurrence = Occurrence(
                    document.name, number, name.arabic, name.english, pair.source, pair.target
                )
                found.append((name.key, occurrence, name.initial))
    canonical = canonical_keys(key for key, _, _ in found)
    records: dict[str, NameRecord] = {}
    lower_first = {(canonical[key], o.english) for key, o, initial in found if not initial}
    for key, occurrence, initial in found:
        if initial:  # "Al-Nusra Front" opening a sentence is the "al-Nusra Front" seen inside one
            lowered = occurrence.english[:1].lower() + occurrence.english[1:]
            if (canonical[key], lowered) in lower_first:
                occurrence = replace(occurrence, english=lowered)
        record = records.setdefault(canonical[key], NameRecord(canonical[key]))
        record.occurrences.append(occurrence)
        if key == record.key:
            record.bare_forms[occurrence.arabic] += 1
    return records


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
