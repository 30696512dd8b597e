"""The last resort and the clean-up of an enforced translation.

After the model calls, a rendering still unplaced is spliced in where it belongs; then
what enforcement (or the model, copying an injected name) left wrong around the
renderings is repaired: extra copies, a word doubled across a rendering's edge ("the the
Kremlin"), a rendering glued to a neighbouring word, the article, the capital at the
sentence start (renderings stacked together: :mod:`.stacking`). Every function edits a
:class:`Draft`, whose spans stay exact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from tarjama.server.translate.enforce import english
from tarjama.server.translate.enforce.draft import (
    CLOSING,
    WORD,
    Draft,
    HitPlan,
    occurrences,
    particle_words,
    skip_spaces,
)


def splice(draft: Draft, index: int, hit: HitPlan, run: tuple[int, int] | None) -> None:
    """Places hit ``index``: over ``run`` (target words loosely aligned to the term) when
    it is free, else at the hit's anchor, with "and" for an attached conjunction."""
    if run is not None and draft.free(*run):
        draft.placed[index] = draft.replace(*run, hit.target)
    else:
        position = draft.anchors[index]
        text = draft.text
        particle = particle_words(hit, text[:position].rstrip())
        left = " " if position > 0 and not text[position - 1].isspace() else ""
        right = " " if position < len(text) and _opens_word(text[position]) else ""
        inserted = left + (particle + " " if particle else "")
        start, _ = draft.replace(position, position, inserted + hit.target + right)
        draft.placed[index] = (start + len(inserted), start + len(inserted) + len(hit.target))
    draft.anchors.pop(index, None)


def remove_duplicates(draft: Draft, hits: Sequence[HitPlan], sentence: str) -> None:
    """Drops copies of a rendering beyond one per hit (the model sometimes repeats an
    injected name), except copies of Latin text the source sentence itself contains."""
    outside_hits = _outside_hits(sentence, hits)
    allowed = {
        target: len(occurrences(outside_hits, target)) for target in (h.target for h in hits)
    }
    removed = True
    while removed:  # a deletion can join two words into a new copy ("Islamic [X] State")
        removed = False
        for target, count in allowed.items():
            extra = [span for span in occurrences(draft.text, target) if draft.free(*span)]
            for start, end in reversed(extra[count:]):
                _delete_word(draft, start, end)
                removed = True


def remove_doubled_edges(draft: Draft, hits: Sequence[HitPlan]) -> None:
    """ "the the Kremlin", "Nusra Front Front": a word repeated across a rendering's edge;
    "U.N. Security Council UN Security Council": the model's own spelling of the name
    right after the copy."""
    for index in sorted(draft.placed, key=lambda h: draft.placed[h][0], reverse=True):
        words = WORD.findall(hits[index].target)
        if not words:
            continue
        start, end = draft.placed[index]
        following = list(re.finditer(r"\S+", draft.text[end : end + 4 * len(hits[index].target)]))
        echo = following[: len(hits[index].target.split())]
        if len(echo) == len(hits[index].target.split()) and _letters(
            " ".join(m.group() for m in echo)
        ) == _letters(hits[index].target):
            echo_start, echo_end = end + echo[0].start(), end + echo[-1].end()
            if draft.free(echo_start, echo_end):
                _delete_word(draft, echo_start, echo_end)
        after = WORD.match(draft.text, skip_spaces(draft.text, end))
        if after and after.start() > end and _repeats(draft, after, words[-1]):
            _delete_word(draft, *after.span())
        before = _last_word(draft.text, start)
        if before and _repeats(draft, before, words[0]):
            _delete_word(draft, *before.span())


def separate_glued(draft: Draft, hits: Sequence[HitPlan]) -> None:
    """A rendering must stand as its own word: "Putin" + "s" becomes "Putin s"."""
    for index in sorted(draft.placed, key=lambda h: draft.placed[h][0], reverse=True):
        start, end = draft.placed[index]
        target = hits[index].target
        if end < len(draft.text) and _glues(draft.text[end]) and target[-1].isalnum():
            draft.replace(end, end, " ")
        if start > 0 and _glues(draft.text[start - 1]) and target[0].isalnum():
            draft.replace(start, start, " ")


def _letters(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


def _outside_hits(sentence: str, hits: Sequence[HitPlan]) -> str:
    parts, copied = [], 0
    for hit in hits:
        parts.append(sentence[copied : hit.start])
        copied = hit.end
    parts.append(sentence[copied:])
    return " ".join(parts)


def _opens_word(char: str) -> bool:
    """A character a rendering inserted in front of must be separated from by a space."""
    return not char.isspace() and char not in CLOSING and char not in ",;:"


def _glues(char: str) -> bool:
    """A neighbour that would make a rendering part of a longer word."""
    return char.isalnum() or (unicodedata.category(char)[0] == "C" and not char.isspace())


def _last_word(text: str, end: int) -> re.Match[str] | None:
    stripped = text[:end].rstrip()
    if len(stripped) == end:
        return None  # the rendering is glued to what precedes it
    words = list(WORD.finditer(stripped, max(0, len(stripped) - 40)))
    return words[-1] if words and words[-1].end() == len(stripped) else None


def _repeats(draft: Draft, word: re.Match[str], rendering_word: str) -> bool:
    """The draft word outside every rendering repeats the rendering's edge word."""
    return word.group().lower() == rendering_word.lower() and draft.free(*word.span())


def _delete_word(draft: Draft, start: int, end: int) -> None:
    """Deletes a word and one space next to it, so no double space is left."""
    text = draft.text
    if end < len(text) and text[end] == " ":
        end += 1
    elif start > 0 and text[start - 1] == " ":
        start -= 1
    draft.replace(start, end, "")


def fix_articles(draft: Draft, hits: Sequence[HitPlan], model_articles: dict[int, bool]) -> None:
    """The article each hit's rule asks for: "the" in front of the rendering ("in the
    Kremlin"), none ("Putin"), or as the model's plain translation wrote it. A determiner
    or a possessive already there stays; a "the" is removed only where it belongs to the
    rendering alone (not in "the Hezbollah fighters")."""
    for index in sorted(draft.placed, key=lambda h: draft.placed[h][0], reverse=True):
        rule = hits[index].article
        wanted = model_articles.get(index) if rule == "model" else rule == "the"
        if wanted is None or hits[index].target.split()[0].lower() in english.DETERMINERS:
            continue  # no rule, or the rendering carries its own article
        start, end = draft.placed[index]
        text = draft.text
        before = english.word_before(text, start)
        if before is not None and before.group(1).lower() == "the":
            earlier = english.word_before(text, before.start(1))
            if earlier is not None and earlier.group(1).lower() == "the":  # "the the Kremlin"
                draft.replace(earlier.start(1), before.start(1), "")
                start, end = draft.placed[index]
                text = draft.text
                before = english.word_before(text, start)
        if wanted and not english.has_article(text, start):
            if before is not None and before.group(1)[0].isupper():
                continue  # "Syrian Foreign Ministry", "Putin Kremlin": no room for "the"
            draft.replace(start, start, "the ")
        elif (
            not wanted
            and before is not None
            and (before.group(1).lower(), before.group(2)) == ("the", " ")
            and english.article_is_own(text, end)
        ):
            draft.replace(before.start(1), start, "")


def capitalise_start(draft: Draft) -> None:
    """The sentence starts with a capital, a rendering's first letter included."""
    position = english.sentence_start(draft.text)
    if position >= len(draft.text) or not draft.text[position].islower():
        return
    capital = draft.text[position].upper()
    owner = next((h for h, span in draft.placed.items() if span[0] == position), None)
    if owner is None:
        if draft.free(position, position + 1):
            draft.replace(position, position + 1, capital)
        return
    span = draft.placed.pop(owner)
    draft.replace(position, position + 1, capital)
    draft.placed[owner] = span
