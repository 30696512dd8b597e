"""Editable sentence texts whose spans stay exact through every edit.

Enforcement rewrites two texts: the source it sends to the model (English renderings put
in place of Arabic terms: :class:`InjectedSource`) and the translation it gets back
(renderings spliced in, duplicates removed: :class:`Draft`). Both keep the map that lets
every reported span point into the original sentence and the final translation.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from tarjama.glossary.clitics import describe_proclitic
from tarjama.glossary.matcher import Match

# English for an attached conjunction; the first is written in front of a rendering placed
# by a forced prefix or a splice when the words before it lack it.
CONJUNCTION_WORDS = {"و": ("and",), "ف": ("and", "so", "then")}
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_NON_SPACE = re.compile(r"\S+")
_NEXT_WORD = re.compile(r"\s+(\S+)")
_PREVIOUS_WORD = re.compile(r"(\S+)\s+$")
CLOSING = ".!?…»”’\"')]"
_FUNCTION_WORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "so", "then", "in", "on", "at", "by", "with", "to",
    "for", "of", "from", "into", "about", "against", "near", "between", "after", "before",
    "during", "over", "under", "as", "that", "which", "who",
))  # fmt: skip
_EDGE_PUNCTUATION = ".,;:!?«»\"'()"

# Seen by the model as "particle rendering": OPUS-MT-style corpora write Latin names after
# a spaced proclitic («و Reuters», «لـ Reuters»), and the model translates the particle.
PARTICLE_SEPARATOR = " "


@dataclass(frozen=True)
class HitPlan:
    """One glossary hit inside a sentence; offsets are relative to the sentence."""

    start: int  # the whole matched word(s), proclitics included
    end: int
    term_start: int  # after the proclitics
    glossary: str
    source_form: str
    target: str
    particle: str  # the meaning-bearing proclitic letters (و ف ب ك ل), "" when none
    conjunction: str
    preposition: str
    article: str = "none"  # the term's article rule: "the", "none" or "model"
    ambiguous: bool = False  # its words may be an ordinary word here (ambiguity.doubtful)

    @classmethod
    def from_match(cls, match: Match, offset: int) -> HitPlan:
        """The hit of a match found in a text where the sentence starts at ``offset``."""
        try:
            parts = describe_proclitic(match.proclitic) if match.proclitic else None
        except ValueError:
            parts = None  # a spelling the matcher accepts but we cannot read: keep no particle
        conjunction = parts.conjunction if parts else ""
        preposition = parts.preposition if parts else ""
        return cls(
            start=match.start - offset,
            end=match.end - offset,
            term_start=match.term_start - offset,
            glossary=match.glossary,
            source_form=match.source_form,
            target=match.target,
            particle=conjunction + preposition,
            conjunction=conjunction,
            preposition=preposition,
            article=match.term.article_rule,
            ambiguous=match.term.ambiguous,
        )


@dataclass(frozen=True)
class _Region:
    model_start: int
    model_end: int
    sentence_start: int
    sentence_end: int
    hit: int | None  # the hit whose rendering fills the region; None for a kept particle


@dataclass(frozen=True)
class InjectedSource:
    """The sentence as sent to the model, with each hit's rendering in place of its term.

    ``rendering_spans[i]`` is where hit ``i``'s rendering sits in ``text``.
    """

    text: str
    rendering_spans: tuple[tuple[int, int], ...]
    regions: tuple[_Region, ...]

    @classmethod
    def build(
        cls, sentence: str, hits: Sequence[HitPlan], keep_arabic: Collection[int] = ()
    ) -> InjectedSource:
        """``keep_arabic``: hits not applied, whose Arabic is sent as it is."""
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        regions: list[_Region] = []
        length = copied = 0
        for index, hit in enumerate(hits):
            if index in keep_arabic:
                spans.append((length + hit.start - copied, length + hit.end - copied))
                continue
            parts.append(sentence[copied : hit.start])
            length += hit.start - copied
            if hit.particle:
                regions.append(
                    _Region(length, length + len(hit.particle), hit.start, hit.term_start, None)
                )
                parts.append(hit.particle + PARTICLE_SEPARATOR)
                length += len(hit.particle) + len(PARTICLE_SEPARATOR)
            spans.append((length, length + len(hit.target)))
            regions.append(
                _Region(length, length + len(hit.target), hit.term_start, hit.end, index)
            )
            parts.append(hit.target)
            length += len(hit.target)
            copied = hit.end
        parts.append(sentence[copied:])
        return cls("".join(parts), tuple(spans), tuple(regions))

    @classmethod
    def identity(cls, sentence: str, hits: Sequence[HitPlan]) -> InjectedSource:
        """The sentence as it is, with each hit's matched words standing for its rendering
        (for aligning the plain translation)."""
        regions = tuple(
            _Region(hit.start, hit.end, hit.start, hit.end, index) for index, hit in enumerate(hits)
        )
        return cls(sentence, tuple((hit.start, hit.end) for hit in hits), regions)

    def to_sentence(self, start: int, end: int) -> tuple[int, int] | None:
        """The sentence span of the model-input span [start, end); None when it touches an
        injected rendering (links to a rendering are replaced by the hit's own link)."""
        for region in self.regions:
            if region.hit is not None and region.model_start < end and start < region.model_end:
                return None
        return self._position(start, is_end=False), self._position(end, is_end=True)

    def _position(self, position: int, *, is_end: bool) -> int:
        offset = 0  # sentence position minus model position; constant between regions
        for region in self.regions:
            if position <= region.model_start:
                break
            if position < region.model_end:
                return region.sentence_end if is_end else region.sentence_start
            offset = region.sentence_end - region.model_end
        return position + offset


@dataclass
class Draft:
    """A translation being edited. Placed renderings, insertion anchors, loosely aligned
    runs (where a rendering may go as a last resort) and word links point into ``text``
    and move with every :meth:`replace`."""

    text: str
    placed: dict[int, tuple[int, int]] = field(default_factory=dict)
    anchors: dict[int, int] = field(default_factory=dict)
    loose: dict[int, tuple[int, int]] = field(default_factory=dict)
    links: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)

    def replace(self, start: int, end: int, new_text: str) -> tuple[int, int]:
        """Replaces text[start:end]; returns the span of ``new_text`` in the new text.

        Spans after the edit move; links cut by it are dropped; an anchor inside it moves
        to its start, and an anchor exactly at an insertion point stays in front of it.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"edit [{start}, {end}) is outside a text of {len(self.text)}")
        delta = len(new_text) - (end - start)
        self.text = self.text[:start] + new_text + self.text[end:]

        def cut(s: int, e: int) -> bool:
            return (s < end and start < e) or (start == end and s < start < e)

        def moved(s: int, e: int) -> tuple[int, int]:
            return (s + delta if s >= end else s, e + delta if e >= end and e > start else e)

        for hit, span in list(self.placed.items()):
            if cut(*span):
                raise AssertionError(f"edit [{start}, {end}) would cut a placed rendering")
            self.placed[hit] = moved(*span)
        for hit, position in self.anchors.items():
            if position > end or (position == end and start < end):
                self.anchors[hit] = position + delta
            elif position > start:
                self.anchors[hit] = start
        self.loose = {hit: moved(*span) for hit, span in self.loose.items() if not cut(*span)}
        self.links = [(source, moved(*target)) for source, target in self.links if not cut(*target)]
        return start, start + len(new_text)

    def free(self, start: int, end: int) -> bool:
        """True when [start, end) overlaps no placed rendering."""
        return all(not (s < end and start < e) for s, e in self.placed.values())


def particle_words(hit: HitPlan, before: str) -> str:
    """ "and" for an attached conjunction when ``before`` does not already end with it.

    Prepositions are left to the model: it saw ب/ل as words of their own in front of the
    rendering and wrote "in"/"to" before it where English wants one, and nothing where an
    English verb absorbs it («رحب ببوتين» → "welcomed Putin"). A conjunction opening the
    sentence needs no "and" («وبوتين قال» → "Putin said").
    """
    words_before = WORD.findall(before[-40:])
    if not hit.conjunction or not words_before:
        return ""
    if words_before[-1].lower() in CONJUNCTION_WORDS[hit.conjunction]:
        return ""
    return CONJUNCTION_WORDS[hit.conjunction][0]


def trim_to_rendering(text: str, start: int, end: int, rendering: str) -> tuple[int, int] | None:
    """The part of [start, end) that can be (a garbled copy of) the rendering, or None.

    Alignment heads trained on names let neighbours ("with", "declined", "as saying")
    attend to the name too: lower-case words unlike any word of the rendering are cut off
    the edges. Words like it just outside are taken in ("Walidal al-Mouem").
    """
    reference = [word.lower() for word in rendering.split()]
    words = [m.span() for m in _NON_SPACE.finditer(text, start, end)]
    while words and not _could_be_rendering(text[slice(*words[0])], reference):
        words.pop(0)
    while words and not _could_be_rendering(text[slice(*words[-1])], reference):
        words.pop()
    if not words:
        return None
    start, end = words[0][0], words[-1][1]
    while (after := _NEXT_WORD.match(text, end)) and _like_rendering(after.group(1), reference):
        end = after.end()
    while (before := _PREVIOUS_WORD.search(text, 0, start)) and _like_rendering(
        before.group(1), reference
    ):
        start = before.start()
    return word_bounds(text, start, end)


def trim_function_words(text: str, start: int, end: int) -> tuple[int, int] | None:
    """[start, end) less articles, prepositions and conjunctions at its edges: the words
    the model wrote for a term, without the neighbours that attend to it too."""
    words = [m.span() for m in _NON_SPACE.finditer(text, start, end)]
    while words and text[slice(*words[0])].strip(_EDGE_PUNCTUATION).lower() in _FUNCTION_WORDS:
        words.pop(0)
    while words and text[slice(*words[-1])].strip(_EDGE_PUNCTUATION).lower() in _FUNCTION_WORDS:
        words.pop()
    return word_bounds(text, words[0][0], words[-1][1]) if words else None


def _could_be_rendering(word: str, reference: list[str]) -> bool:
    return word[:1].isupper() or _like_rendering(word, reference)


def _like_rendering(word: str, reference: list[str]) -> bool:
    stripped = word.strip(_EDGE_PUNCTUATION).lower()
    return any(_similar(stripped, ref) for ref in reference)


def _similar(word: str, reference: str) -> bool:
    """Dice coefficient of character bigrams of at least one half ("al-qaida"/"al-qaeda")."""
    if word == reference:
        return True
    ours = {word[i : i + 2] for i in range(len(word) - 1)}
    theirs = {reference[i : i + 2] for i in range(len(reference) - 1)}
    return bool(ours and theirs) and 4 * len(ours & theirs) >= len(ours) + len(theirs)


def occurrences(text: str, target: str, start: int = 0) -> list[tuple[int, int]]:
    """Non-overlapping whole-word occurrences of ``target`` in ``text[start:]``. A hyphen
    joins words ("al-Nusra Front" holds no "Nusra Front"); a possessive does not."""
    found = []
    position = text.find(target, start) if target else -1
    while position >= 0:
        end = position + len(target)
        clean_left = position == 0 or not (_joins(text[position - 1]) and _joins(target[0]))
        clean_right = end == len(text) or not (_joins(text[end]) and _joins(target[-1]))
        if clean_left and clean_right:
            found.append((position, end))
            position = text.find(target, end)
        else:
            position = text.find(target, position + 1)
    return found


def _joins(char: str) -> bool:
    return char.isalnum() or char == "-"


def word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened to whole words (hyphenated ones too: "al-Nusra"), then
    trimmed of outer spaces and punctuation."""
    while start > 0 and (
        text[start - 1].isalnum()
        or (text[start - 1] == "-" and text[start - 2 : start - 1].isalnum())
    ):
        start -= 1
    while end < len(text) and (
        text[end].isalnum() or (text[end] == "-" and text[end + 1 : end + 2].isalnum())
    ):
        end += 1
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def before_final_punctuation(text: str, position: int) -> int:
    """``position``, or where the sentence's closing punctuation starts if it is in it."""
    end = len(text)
    while end > 0 and (text[end - 1].isspace() or text[end - 1] in CLOSING):
        end -= 1
    return min(position, end)


def next_word_start(text: str, position: int) -> int:
    """``position`` if a word starts there, else the start of the next word (or the end)."""
    while 0 < position < len(text) and not text[position - 1].isspace():
        position += 1
    return skip_spaces(text, position)


def overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position
