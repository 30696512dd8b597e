"""Renderings that would stand glued together: joined as the Arabic joins them, or withheld.

Where the model left out the words around some terms (a clause it did not translate),
their renderings are spliced at one spot and pile up: "… in Amman yesterday the Islamic
State Nusra Front Syria." A translator keeps the names in the Arabic's order and writes
the small words that join them: «داعش» و «جبهة النصرة» في سورية → "the Islamic State and
the Nusra Front in Syria". Where the Arabic between two terms holds words the model did
not translate (a verb, a noun: «في حلب وقال للقاعدة»), no English can be made up for them,
and a spliced rendering would be glued to its neighbour: it is withheld instead, and
reported as skipped with the reason. Renderings the model wrote itself are never withheld.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Sequence

from tarjama.glossary.clitics import CONJUNCTIONS
from tarjama.glossary.normalize import normalize_text
from tarjama.server.translate.enforce import english
from tarjama.server.translate.enforce.draft import Draft, HitPlan

# Arabic words that join two names, with the one English word each stands for. Words with
# several readings (ب "with/by/in", ل "to/for", عن "about/from") are left out: the English
# for them depends on the verb the model did not translate.
_CONNECTORS = {
    normalize_text(arabic): english_word
    for arabic, english_word in (
        ("و", "and"), ("ف", "and"), ("أو", "or"), ("ثم", "then"), ("في", "in"),
        ("مع", "with"), ("من", "from"), ("إلى", "to"), ("الى", "to"), ("على", "on"),
        ("ضد", "against"), ("بين", "between"), ("حول", "about"), ("قرب", "near"),
        ("نحو", "towards"), ("داخل", "inside"), ("شمال", "north of"),
        ("جنوب", "south of"), ("شرق", "east of"), ("غرب", "west of"),
    )
}  # fmt: skip
_PUNCTUATION = "«»\"'()[]،,.؛;:!?-–—…"
# English words that belong in front of the rendering they precede ("in Syria"): a
# rendering moved in front of that one goes in front of them too.
_LEADING = frozenset(("the", "a", "an", "in", "on", "at", "to", "from", "with", "of", "for"))
_ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")


def order_anchors(draft: Draft, hits: Sequence[HitPlan], anchored: Collection[int]) -> None:
    """Names keep their Arabic order: a rendering to be spliced at an anchor past the
    rendering of a term that comes after it in the Arabic goes in front of that one (and
    of the words that lead it: "in Syria"), and one before an earlier term's rendering goes
    after it."""
    for hit in anchored:
        position = draft.anchors[hit]
        later = [span[0] for other, span in draft.placed.items() if other > hit]
        earlier = [span[1] for other, span in draft.placed.items() if other < hit]
        if later and min(later) < position and not any(end > min(later) for end in earlier):
            position = min(later)
            while (before := english.word_before(draft.text, position)) is not None and (
                before.group(1).lower() in _LEADING
            ):
                position = before.start(1)
        elif earlier and max(earlier) > position and not any(s < position for s in later):
            position = max(earlier)
        draft.anchors[hit] = position


def join_stacked(draft: Draft, hits: Sequence[HitPlan], sentence: str) -> None:
    """Two renderings with nothing between them get the English of the Arabic words that
    join their terms: "Putin and Lavrov" for «بوتين ولافروف», "Nusra Front in Syria" for
    «جبهة النصرة» في سورية». Terms next to each other in the Arabic stay next to each other."""
    for first, second in reversed(_stacked_pairs(draft, hits)):
        words = connector(sentence, hits[first], hits[second])
        if words:
            end, start = draft.placed[first][1], draft.placed[second][0]
            draft.replace(end, start, ", " if words == "," else f" {words} ")


def withhold_stacked(
    draft: Draft, hits: Sequence[HitPlan], sentence: str, spliced: Collection[int]
) -> dict[int, str]:
    """Takes out each spliced rendering still glued to a neighbour; returns the reasons."""
    withheld: dict[int, str] = {}
    while True:
        pairs = [
            (first, second)
            for first, second in _stacked_pairs(draft, hits)
            if first > second or connector(sentence, hits[first], hits[second]) is None
        ]
        victims = [
            (victim, other)
            for first, second in pairs
            for victim, other in ((second, first), (first, second))
            if victim in spliced
        ]
        if not victims:
            return withheld
        victim, other = victims[0]
        start, end = draft.placed.pop(victim)
        if end < len(draft.text) and draft.text[end] == " ":
            end += 1
        elif start > 0 and draft.text[start - 1] == " ":
            start -= 1
        draft.replace(start, end, "")
        withheld[victim] = (
            f"the translation left out the words around it: placed, {hits[victim].target!r} "
            f"would stand glued to {hits[other].target!r}"
        )


def connector(sentence: str, first: HitPlan, second: HitPlan) -> str | None:
    """The English for the Arabic between two terms: "" when nothing is, "," for a comma
    alone, the joining words ("and", "in", "and in"), or None when it holds a word with no
    one English word (one the model should have translated)."""
    between = sentence[first.end : second.term_start]
    tokens = [token.strip(_PUNCTUATION) for token in between.split()]
    tokens = [token for token in tokens if _ARABIC_LETTERS.search(token)]
    if not tokens:
        return "," if any(mark in between for mark in "،,") else ""
    words = []
    for token in tokens:
        normalized = normalize_text(token)
        if normalized in _CONNECTORS:
            words.append(_CONNECTORS[normalized])
        elif normalized[:1] in CONJUNCTIONS and normalized[1:] in _CONNECTORS:
            words += ["and", _CONNECTORS[normalized[1:]]]
        else:
            return None
    return " ".join(words)


def _stacked_pairs(draft: Draft, hits: Sequence[HitPlan]) -> list[tuple[int, int]]:
    """(hit, next hit) in the English, where nothing but spaces or commas is between."""
    order = sorted(draft.placed, key=lambda hit: draft.placed[hit][0])
    return [
        (first, second)
        for first, second in itertools.pairwise(order)
        if english.stacked(draft.text, draft.placed[first][1], draft.placed[second][0])
    ]
