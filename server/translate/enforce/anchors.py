"""Where a rendering the model did not write belongs in its translation.

The enforcer splices such a rendering at an anchor; without an aligned run for the term
itself, the translation of its source neighbours says where (:func:`position_from_neighbours`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tarjama.server.translate.tokens import Token

if TYPE_CHECKING:  # annotations only: enforcement never loads CTranslate2
    from tarjama.server.translate.engine import EngineResult

# Arabic prepositions whose English translation stands right before the noun after them.
_PREPOSITIONS = frozenset((
    "في", "إلى", "الى", "مع", "على", "من", "عن", "ضد", "بين", "قرب", "حول", "لدى", "عند",
    "نحو", "مثل", "بعد", "قبل", "خلال", "عبر", "لـ", "بـ",
))  # fmt: skip


def position_from_neighbours(
    result: EngineResult, attended: Sequence[int | None], rendering: Sequence[int]
) -> int:
    """Where the translation of the term's source neighbours puts it. Arabic and English
    agree on the order inside a phrase, not across it (verb-subject-object): a
    preposition or particle just before the term is translated just before it;
    otherwise the word just after the term is translated just after it."""
    if not rendering:
        return 0
    targets: dict[int, list[int]] = {}
    for index, token in enumerate(result.target_tokens):
        source = attended[index]
        if source is not None and token.start < token.end:
            targets.setdefault(source, []).append(index)
    tokens, source_tokens = result.target_tokens, result.source.tokens
    before, after = rendering[0] - 1, rendering[-1] + 1
    if before in targets and _is_function_word(result.source.text, source_tokens[before]):
        return tokens[targets[before][-1]].end
    if after in targets and _is_word(result.source.text, source_tokens[after]):
        return tokens[targets[after][0]].start
    preceding = [tokens[t].end for source, ts in targets.items() if source < before + 1 for t in ts]
    return max(preceding, default=0)


def _is_function_word(text: str, token: Token) -> bool:
    """A preposition or a particle kept in front of an injected rendering («و», «بال»)."""
    word = text[token.start : token.end]
    return word in _PREPOSITIONS or (0 < len(word) <= 3 and word[0] in "وفبلك")


def _is_word(text: str, token: Token) -> bool:
    return any(char.isalnum() for char in text[token.start : token.end])
