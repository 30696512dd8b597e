"""Arabic proclitics: the particles written attached to the front of a word.

A noun can carry, in this order, a conjunction (و "and", ف "so/then"), a preposition
(ب "by/with/in", ك "like", ل "to/for") and the article ال. The preposition ل before the
article drops the article's alef: ل + الكرملين is written للكرملين; before a word that
itself starts with ل it drops the article's lam too, since Arabic never writes three lams:
ل + اللاذقية is للاذقية, ل + اللجنة is للجنة. Matching strips these
from the first word of a term; the pipeline uses :func:`describe_proclitic` to keep their
meaning in the translation.
"""

from __future__ import annotations

from dataclasses import dataclass

from tarjama.glossary.normalize import normalize_text

CONJUNCTIONS = ("و", "ف")
PREPOSITIONS = ("ب", "ك", "ل")
ARTICLE = "ال"


@dataclass(frozen=True)
class ProcliticForm:
    """One way a word can start with proclitics.

    `written` is the normalised text in front of the stem. `stem_prefix` is what the stem
    lost to the spelling rule: "ال" for ل + ال written لل before a term that starts with
    its own article (للكرملين → الكرملين), and for ل written before a term that starts
    with الل (للاذقية → ل + اللاذقية); "" otherwise. `stem_start` is what the rest of the
    word must start with for the form to apply: "ل" for that last rule.
    """

    written: str
    stem_prefix: str = ""
    stem_start: str = ""


@dataclass(frozen=True)
class ProcliticParts:
    """The meaning-bearing parts of a proclitic string."""

    conjunction: str  # "و", "ف" or ""
    preposition: str  # "ب", "ك", "ل" or ""
    article: bool  # ال is present (also when written as the لل of ل + ال)


def _all_forms() -> tuple[ProcliticForm, ...]:
    forms: list[ProcliticForm] = []
    for conjunction in ("", *CONJUNCTIONS):
        for preposition in ("", *PREPOSITIONS):
            forms.append(ProcliticForm(conjunction + preposition))
            if preposition == "ل":
                # ل + ال → لل, whether the article is a proclitic or the term's own.
                forms.append(ProcliticForm(conjunction + "لل"))
                forms.append(ProcliticForm(conjunction + "لل", stem_prefix=ARTICLE))
                forms.append(ProcliticForm(conjunction + "ل", stem_prefix=ARTICLE, stem_start="ل"))
            else:
                forms.append(ProcliticForm(conjunction + preposition + ARTICLE))
    non_empty = [form for form in forms if form.written]
    # Shortest first, so the plainest reading of a word is tried (and preferred) first.
    return tuple(sorted(non_empty, key=lambda form: len(form.written)))


PROCLITIC_FORMS = _all_forms()
_FORMS_BY_FIRST_LETTER = {
    letter: tuple(form for form in PROCLITIC_FORMS if form.written[0] == letter)
    for letter in {form.written[0] for form in PROCLITIC_FORMS}
}


def stem_readings(word: str) -> list[tuple[int, str]]:
    """Every (proclitic length, stem) reading of a normalised `word`, plainest first.

    The proclitic length counts characters of `word`; the stem is what a term's first
    word must equal. The word itself (no proclitic) always comes first.
    """
    readings = [(0, word)]
    for form in _FORMS_BY_FIRST_LETTER.get(word[:1], ()):
        rest = word[len(form.written) :]
        if rest.startswith(form.stem_start) and rest and word.startswith(form.written):
            readings.append((len(form.written), form.stem_prefix + rest))
    return readings


def describe_proclitic(proclitic: str) -> ProcliticParts:
    """Split a proclitic as reported in a match («وبال», «لل», «فَ») into its parts.

    Raises ValueError when `proclitic` is not a sequence of proclitics.
    """
    rest = normalize_text(proclitic)
    conjunction = rest[:1] if rest[:1] in CONJUNCTIONS else ""
    rest = rest[len(conjunction) :]
    if rest == "لل":
        return ProcliticParts(conjunction, "ل", article=True)
    preposition = rest[:1] if rest[:1] in PREPOSITIONS else ""
    rest = rest[len(preposition) :]
    if rest not in ("", ARTICLE):
        raise ValueError(
            f"{proclitic!r} is not a proclitic: expected و/ف, then ب/ك/ل, then ال, in that order"
        )
    return ProcliticParts(conjunction, preposition, article=rest == ARTICLE)
