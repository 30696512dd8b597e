"""Names in translated text: Arabic spans the word alignment links to capitalised English.

A translation that carries its word alignment (``SentencePair.alignment``) says which
Arabic words each English word came from. A *name* is a run of capitalised English words
(«سيرغي لافروف» → "Sergei Lavrov", «الكرملين» → "Kremlin") aligned to a contiguous run of
Arabic words, where the English words are not

* common words that English capitalises anyway (titles such as "President", months and
  weekdays, "The" and other function words: :data:`COMMON_WORDS`),
* a lone capital at the start of a sentence or a quote ("Estimates indicate …"), or
* part of a glossary term's rendering (the glossary decides those, ``term_hits``),

and the Arabic is not Latin text copied through. Names are keyed by their normalised
Arabic; :func:`canonical_keys` then folds a proclitic written in front (و ب ل ك ف, لل)
into the bare form where the bare form occurs too (ولافروف → لافروف, للكرملين →
الكرملين), and only then, because many names start with one of those letters (وليد,
بوتين). ``tarjama consistency`` and ``tarjama glossary suggest`` are built on this.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tarjama.glossary.clitics import stem_readings
from tarjama.glossary.normalize import contains_arabic_letter, normalize_text
from tarjama.results import SentencePair

# Capitalised in English whatever they translate; never a name of their own.
_COMMON = """
    a an the and or but of in on at to for from with by as about after before over under
    he she it they we i you his her its their our this that these those there here what
    who which when where why how also however meanwhile yet so if while said says
    mr mrs ms dr president vice prime minister ministry secretary state foreign defence
    defense interior chancellor king queen prince sheikh emir general spokesman
    spokeswoman spokesperson official officials army council department
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december
"""
COMMON_WORDS = frozenset(_COMMON.split())
# Lower-case particles of names in English: attached ("al-Assad", "ez-Zor"), or words
# that join two capitalised ones ("Mohammed bin Salman", "Staffan de Mistura").
_ATTACHED_PARTICLE = re.compile(r"(?:al|el|ad|as|ash|ar|az|ez)-[A-Z]")
INNER_PARTICLES = frozenset(("bin", "ibn", "abu", "de", "al", "el", "van", "von", "der"))

_ENGLISH_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class NameSpan:
    """One name in one sentence pair; spans are relative to the pair's source and target."""

    arabic: str  # as written in the source
    key: str  # normalised Arabic words, one space apart
    english: str
    source: tuple[int, int]
    target: tuple[int, int]
    initial: bool = False  # at the start of the sentence or a quote: capitalised anyway


def is_name_word(word: str) -> bool:
    """A word that can be (part of) a name: capitalised or a name particle, not common."""
    bare = _POSSESSIVE.sub("", word)
    lower = bare.lower()
    if lower in COMMON_WORDS or not bare:
        return False
    return bare[0].isupper() or _ATTACHED_PARTICLE.match(bare) is not None


def may_start_with_a_name(target: str) -> bool:
    """Whether a translation may begin with a name of two words or more: the one case in
    which :func:`name_spans` reads the link of a sentence's first word (a lone capital at
    the start of a sentence is left out). Errs towards yes: separators are not checked."""
    words = _ENGLISH_WORD.findall(target, 0, 200)[:2]
    if len(words) < 2 or not is_name_word(words[0]):
        return False
    return is_name_word(words[1]) or words[1] in INNER_PARTICLES


def name_spans(pair: SentencePair) -> list[NameSpan]:
    """The names in one sentence pair (needs its alignment)."""
    source_offset, target_offset = pair.source_span.start, pair.target_span.start
    aligned: dict[tuple[int, int], set[tuple[int, int]]] = {}
    for link in pair.alignment:
        target = (link.target.start - target_offset, link.target.end - target_offset)
        source = (link.source.start - source_offset, link.source.end - source_offset)
        aligned.setdefault(target, set()).add(source)
    governed = [
        (hit.target_span.start - target_offset, hit.target_span.end - target_offset)
        for hit in pair.term_hits
    ]
    names = []
    for run in _runs(pair.target, governed):
        name = _name(pair, run, aligned)
        if name is not None:
            names.append(name)
    return names


def _runs(target: str, governed: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Runs of adjacent name words, as word spans; a lone sentence-initial word is left out."""
    words = [(m.start(), m.end()) for m in _ENGLISH_WORD.finditer(target)]
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    previous_end = None
    for start, end in words:
        word = target[start:end]
        inside_term = any(s < end and start < e for s, e in governed)
        adjacent = previous_end is not None and target[previous_end:start].strip() == ""
        joins = bool(current) and adjacent and word in INNER_PARTICLES
        if (is_name_word(word) or joins) and not inside_term:
            if current and not adjacent:
                runs.append(current)
                current = []
            current.append((start, end))
        elif current:
            runs.append(current)
            current = []
        previous_end = end
    if current:
        runs.append(current)
    trimmed = []
    for run in runs:
        while run and target[run[-1][0] : run[-1][1]] in INNER_PARTICLES:
            run = run[:-1]
        if run and (len(run) > 1 or not sentence_initial(target, run[0][0])):
            trimmed.append(run)
    return trimmed


# A word of a name's Arabic: letters only (digits and punctuation are not part of the key).
NAME_WORD = re.compile(r"[^\W\d_]+")


def name_key(arabic: str) -> str:
    """The key a name's Arabic is known by: its words, normalised."""
    return " ".join(normalize_text(word) for word in NAME_WORD.findall(arabic))


def sentence_initial(target: str, start: int) -> bool:
    """English capitalises the word at ``start`` anyway: a sentence or a quote begins there."""
    before = target[:start].rstrip()
    return not before or before[-1] in '.!?:"“«(—'


def _name(
    pair: SentencePair, run: list[tuple[int, int]], aligned: dict[tuple[int, int], set]
) -> NameSpan | None:
    sources: set[tuple[int, int]] = set()
    for word in run:
        sources |= aligned.get(word, set())
    if not sources or not all(aligned.get(word) for word in run):
        return None
    start, end = min(s for s, _ in sources), max(e for _, e in sources)
    arabic = pair.source[start:end]
    # The aligned Arabic words must be contiguous: a gap means the alignment wandered.
    # More than one Arabic word beyond the English ones: a name took its neighbours along.
    source_words = re.findall(r"\S+", arabic)
    if len(source_words) > min(len(sources), len(run) + 1):
        return None
    if not all(contains_arabic_letter(word) for word in source_words):
        return None
    target_start, target_end = run[0][0], run[-1][1]
    english = _POSSESSIVE.sub("", pair.target[target_start:target_end])
    target_end = target_start + len(english)
    key = name_key(arabic)
    initial = sentence_initial(pair.target, target_start)
    return NameSpan(arabic, key, english, (start, end), (target_start, target_end), initial)


def canonical_keys(keys: Iterable[str]) -> dict[str, str]:
    """Each key mapped to its form without proclitics where that form occurs as a key too."""
    present = set(keys)
    result = {}
    for key in present:
        first, _, rest = key.partition(" ")
        canonical = key
        for length, stem in stem_readings(first)[1:]:
            if first[:length].endswith("ال"):
                continue  # the article is part of the name: السورية is not سورية
            candidate = f"{stem} {rest}".strip() if rest else stem
            if candidate in present:
                canonical = candidate  # the longest proclitic wins: readings grow
        result[key] = canonical
    return result
