"""Finding glossary terms in Arabic text: whole words, proclitics, longest match.

Terms are indexed in a trie over normalised words. The text is normalised and split into
words once; each word is read every way its proclitics allow (وبالكرملين → و + ب + ال +
كرملين, للكرملين → ل + الكرملين) and each reading that starts a term is walked through
the trie. How a word reads is cached, since news text repeats its words a lot.

Overlaps are resolved globally: the longest term first, whatever proclitics it carries
(then the higher-priority glossary, then the shorter proclitic, then the earlier term, then
the earlier start), and a match is kept only where no kept match already covers one of its
words: «للجنة الدولية للصليب الأحمر» is the International Committee of the Red Cross, not
the Red Cross inside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tarjama.glossary.clitics import stem_readings
from tarjama.glossary.model import Glossary, Term, match_key
from tarjama.glossary.normalize import LINE_BREAK, PARAGRAPH_SEPARATOR, WORD, normalize
from tarjama.tracing import stage

# What may separate the words of a multi-word term in the text: spaces and hyphens (the
# normalised text has no invisible controls left), never punctuation that ends a clause,
# and at most one line break: a name wrapped onto the next line is still the name, but one
# across a paragraph break is not (segmentation keeps a wrapped hit in one sentence).
_WORD_GAP = re.compile(r"[\s\-\u2010\u2011]+")
_READINGS_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Match:
    """One occurrence of a term. Offsets are code points into the original text."""

    start: int  # the whole matched text, proclitics included, quotes excluded
    end: int
    term_start: int  # the term itself, after the proclitics
    term_end: int
    proclitic: str  # original text of the attached prefix: "", "و", "وبال", "لل", ...
    glossary: str  # "" for inline terms
    term: Term
    source_form: str  # which of term.sources matched
    target: str


@dataclass(frozen=True)
class _Entry:
    priority: int  # lower wins: 0 for inline terms, then glossaries in the order given
    order: int  # position among all terms, for a stable choice within one glossary
    glossary: str
    term: Term
    source_form: str


class _Node:
    __slots__ = ("children", "entries")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entries: list[_Entry] = []  # terms ending here, best first

    def best(self, with_proclitic: bool) -> _Entry | None:
        for entry in self.entries:
            if not (with_proclitic and entry.term.exact):
                return entry
        return None


@dataclass(frozen=True)
class _Candidate:
    first_word: int
    end_word: int  # exclusive
    start: int  # normalised offsets
    end: int
    proclitic_length: int
    entry: _Entry

    def sort_key(self) -> tuple[int, int, int, int, int]:
        entry = self.entry
        return (
            self.start + self.proclitic_length - self.end,  # the term's length, not its clitics'
            entry.priority,
            self.proclitic_length,
            entry.order,
            self.start,
        )


class Matcher:
    """Finds the terms of several glossaries, and of inline terms, in text.

    Priority: inline terms first, then `glossaries` in the order given (name, glossary).
    Build once and reuse: building indexes every term; `find` is safe to call from
    several threads.
    """

    def __init__(
        self,
        glossaries: Sequence[tuple[str, Glossary]],
        inline_terms: Sequence[Term] = (),
    ) -> None:
        self._root = _Node()
        self.term_count = 0
        sources: list[tuple[str, Sequence[Term]]] = [("", inline_terms)]
        sources += [(name, glossary.terms) for name, glossary in glossaries]
        # Terms are added in priority order, so each node's entries end up best first.
        for priority, (glossary_name, terms) in enumerate(sources):
            for term in terms:
                self._add(term, glossary_name, priority)
        self._readings: dict[str, tuple[tuple[int, _Node], ...]] = {}

    def _add(self, term: Term, glossary_name: str, priority: int) -> None:
        order = self.term_count
        self.term_count += 1
        for source in term.sources:
            key = match_key(source)
            if not key:
                continue
            node = self._root
            for word in key:
                node = node.children.setdefault(word, _Node())
            if all(entry.order != order for entry in node.entries):
                node.entries.append(_Entry(priority, order, glossary_name, term, source))

    def find(self, text: str) -> list[Match]:
        """Every term occurrence in `text`, sorted by start, none overlapping."""
        with stage("tarjama.glossary.match", {"tarjama.characters": len(text)}) as span:
            matches = self._find(text)
            span.set_attribute("tarjama.glossary.hits", len(matches))
        return matches

    def _find(self, text: str) -> list[Match]:
        normalized = normalize(text)
        words = list(WORD.finditer(normalized.text))
        candidates = self._candidates(normalized.text, words)
        covered = bytearray(len(words))
        kept: list[_Candidate] = []
        for candidate in sorted(candidates, key=_Candidate.sort_key):
            if covered.find(1, candidate.first_word, candidate.end_word) == -1:
                covered[candidate.first_word : candidate.end_word] = b"\1" * (
                    candidate.end_word - candidate.first_word
                )
                kept.append(candidate)
        kept.sort(key=lambda candidate: candidate.start)
        matches = []
        for candidate in kept:
            start, end = normalized.original_span(candidate.start, candidate.end)
            term_start = normalized.original_index(candidate.start + candidate.proclitic_length)
            entry = candidate.entry
            matches.append(
                Match(
                    start=start,
                    end=end,
                    term_start=term_start,
                    term_end=end,
                    proclitic=text[start:term_start],
                    glossary=entry.glossary,
                    term=entry.term,
                    source_form=entry.source_form,
                    target=entry.term.target,
                )
            )
        return matches

    def _candidates(self, text: str, words: list[re.Match[str]]) -> list[_Candidate]:
        """Every term occurrence, overlapping ones included."""
        candidates = []
        readings_cache = self._readings
        for index, word in enumerate(words):
            readings = readings_cache.get(word.group())
            if readings is None:
                readings = self._read(word.group())
            for proclitic_length, node in readings:
                candidates.extend(
                    self._walk(text, words, index, node, proclitic_length, word.start())
                )
        return candidates

    def _read(self, word: str) -> tuple[tuple[int, _Node], ...]:
        """The readings of `word` whose stem starts some term, with that term's trie node."""
        children = self._root.children
        readings = tuple(
            (length, children[stem]) for length, stem in stem_readings(word) if stem in children
        )
        if len(self._readings) >= _READINGS_CACHE_LIMIT:
            self._readings.clear()
        self._readings[word] = readings
        return readings

    def _walk(
        self,
        text: str,
        words: list[re.Match[str]],
        first: int,
        node: _Node,
        proclitic_length: int,
        start: int,
    ) -> list[_Candidate]:
        found = []
        index = first
        while True:
            entry = node.best(with_proclitic=proclitic_length > 0)
            if entry is not None:
                found.append(
                    _Candidate(first, index + 1, start, words[index].end(), proclitic_length, entry)
                )
            following = index + 1
            if not node.children or following >= len(words):
                return found
            gap_start, gap_end = words[index].end(), words[following].start()
            if not _WORD_GAP.fullmatch(text, gap_start, gap_end) or _breaks_paragraph(
                text, gap_start, gap_end
            ):
                return found
            child = node.children.get(words[following].group())
            if child is None:
                return found
            node, index = child, following


def _breaks_paragraph(text: str, start: int, end: int) -> bool:
    """True when the gap text[start:end] holds a paragraph break, not just a wrapped line."""
    breaks = LINE_BREAK.finditer(text, start, end)
    first = next(breaks, None)
    if first is None:
        return False
    return first.group() == PARAGRAPH_SEPARATOR or next(breaks, None) is not None
