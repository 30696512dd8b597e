"""The English around a rendering, as its reader judges it.

Plain-text checks, shared by the enforcer (which repairs what it can) and
``bench/eval_terms.py`` (which counts what is left): the article in front of a rendering,
renderings stacked without the words between them, a rendering that only begins a longer
name ("Washington" in "Washington Post"), a lower-case sentence start, Arabic left over.
"""

from __future__ import annotations

import re

# Words that already determine the noun after them: no "the" is added after these.
DETERMINERS = frozenset((
    "the", "a", "an", "this", "that", "these", "those", "its", "his", "her", "their", "our",
    "my", "your", "whose", "every", "each", "any", "no", "some", "another", "which", "what",
))  # fmt: skip
# Words after a rendering that show the "the" before it belongs to the rendering alone
# ("the Hezbollah fighters" keeps its "the"; "the Putin said" does not).
_ENDS_NOUN_PHRASE = frozenset((
    "said", "says", "has", "had", "have", "is", "was", "are", "were", "will", "would",
    "and", "or", "but", "of", "in", "on", "at", "to", "for", "with", "from", "by", "that",
    "as", "who", "which", "yesterday", "today", "tomorrow", "on", "after", "before",
))  # fmt: skip
# Capitalised words that may follow a name without extending it.
_NOT_NAME_WORDS = frozenset((
    "I", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
))  # fmt: skip
_WORD_BEFORE = re.compile(r"([A-Za-z][\w'’-]*)([\s«\"“(]*)$")
_WORD_AFTER = re.compile(r"^[\s»\"”)]*([A-Za-z][\w'’-]*)")
_OPENING = "«\"“'‘(["
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def word_before(text: str, start: int) -> re.Match[str] | None:
    """The word right before ``start`` (spaces and opening quotes between)."""
    return _WORD_BEFORE.search(text, 0, start)


def has_article(text: str, start: int) -> bool:
    """True when the rendering at ``start`` is preceded by "the" (or another determiner,
    or a possessive: "Russia's")."""
    before = word_before(text, start)
    if before is None:
        return False
    word = before.group(1)
    return word.lower() in DETERMINERS or word.endswith(("'s", "’s"))


def article_is_own(text: str, end: int) -> bool:
    """True when the word after a rendering ending at ``end`` closes its noun phrase, so
    a "the" in front of it belongs to the rendering."""
    after = _WORD_AFTER.match(text[end:])
    if after is None:
        return True
    word = after.group(1)
    return word.lower() in _ENDS_NOUN_PHRASE or word[0].isupper()


def continues_name(text: str, end: int) -> bool:
    """True when a capitalised word follows at ``end``: the rendering there only begins a
    longer name ("Washington Post")."""
    after = _WORD_AFTER.match(text[end:])
    if after is None or text[end : end + 1] not in (" ", "-"):
        return False
    word = after.group(1)
    return word[0].isupper() and word not in _NOT_NAME_WORDS and after.start(1) == 1


def sentence_start(text: str) -> int:
    """Where the first word of the sentence starts (after opening quotes)."""
    position = 0
    while position < len(text) and (text[position].isspace() or text[position] in _OPENING):
        position += 1
    return position


def lowercase_start(text: str) -> bool:
    start = sentence_start(text)
    return start < len(text) and text[start].islower()


def stacked(text: str, first_end: int, second_start: int) -> bool:
    """True when nothing but spaces or commas separates two renderings."""
    return first_end <= second_start and not text[first_end:second_start].strip(" ,")


def has_arabic(text: str) -> bool:
    return _ARABIC.search(text) is not None


def same_rendering(found: str, target: str, at_start: bool) -> bool:
    """The text placed for a rendering: exactly the target, or with its first letter
    capitalised where it opens the sentence."""
    if found == target:
        return True
    return at_start and bool(target) and found == target[0].upper() + target[1:]
