"""Every occurrence of each name across translated documents, keyed by its Arabic.

:func:`collect_names` runs :func:`tarjama.glossary.names.name_spans` over the sentence
pairs of one or more documents and gathers the occurrences of one Arabic name (normalised,
proclitics folded by :func:`~tarjama.glossary.names.canonical_keys`). A name capitalised
only because it opens a sentence ("Al-Nusra Front said …") counts as the lower-case
rendering seen inside a sentence ("… of al-Nusra Front"), so that sentence position is
not read as a second rendering. Glossary renderings are not names to read (the glossary
decides them); the hits of document terms are (one document's choice, not the corpus's).
``tarjama consistency`` and ``tarjama glossary suggest`` report over a corpus; the
server's document terms (``tarjama.server.translate.document_names``) use one document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from tarjama.glossary.names import (
    NameSpan,
    canonical_keys,
    name_key,
    name_spans,
    sentence_initial,
)
from tarjama.results import DOCUMENT_METHOD, SentencePair


@dataclass(frozen=True)
class Occurrence:
    document: str
    sentence: int  # 1-based, in the document's sentence pairs
    arabic: str  # as written
    english: str  # lower-cased at a sentence start where the name is seen lower-case inside
    source_sentence: str
    target_sentence: str
    source: tuple[int, int] = (0, 0)  # of the Arabic in source_sentence
    target: tuple[int, int] = (0, 0)  # of the English as written in target_sentence


@dataclass
class NameRecord:
    """Every occurrence of one Arabic name."""

    key: str
    occurrences: list[Occurrence] = field(default_factory=list)
    bare_forms: Counter[str] = field(default_factory=Counter)  # written without a proclitic

    @property
    def renderings(self) -> Counter[str]:
        """Each rendering's count, the first seen first among equal counts."""
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


def collect_names(documents: Iterable[tuple[str, Sequence[SentencePair]]]) -> dict[str, NameRecord]:
    """The names of (document name, sentence pairs) by canonical key, in order of first
    occurrence. The pairs need their word alignment."""
    found = []
    for document, pairs in documents:
        for number, pair in enumerate(pairs, start=1):
            for name in name_spans(pair) + _document_names(pair):
                occurrence = Occurrence(
                    document,
                    number,
                    name.arabic,
                    name.english,
                    pair.source,
                    pair.target,
                    name.source,
                    name.target,
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


def _document_names(pair: SentencePair) -> list[NameSpan]:
    """The pair's document-term hits as names: one document's choice, not a glossary's, so
    still a rendering to compare across documents."""
    names = []
    for hit in pair.term_hits:
        if hit.method != DOCUMENT_METHOD:
            continue
        source = (
            hit.source_span.start - pair.source_span.start,
            hit.source_span.end - pair.source_span.start,
        )
        target = (
            hit.target_span.start - pair.target_span.start,
            hit.target_span.end - pair.target_span.start,
        )
        arabic = pair.source[source[0] : source[1]]
        key = name_key(arabic)
        initial = sentence_initial(pair.target, target[0])
        names.append(NameSpan(arabic, key, hit.target_term, source, target, initial))
    return names
