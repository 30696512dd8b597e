"""Tokens, words and their code-point spans.

SentencePiece marks a word start with "▁" and spells characters outside its vocabulary
as byte pieces ("<0xE2>"). Detokenising here, rather than with the target model's
``decode``, keeps the exact span of every piece in the output text, and copes with pieces
the shared vocabulary allows but the target SentencePiece model does not know.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from dataclasses import dataclass

WORD_MARK = "\u2581"
_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
_SPECIAL_PIECES = frozenset({"<unk>", "<s>", "</s>", "<pad>"})


@dataclass(frozen=True)
class Token:
    """One SentencePiece piece and the half-open code-point span it covers in its text."""

    piece: str
    start: int
    end: int


def detokenize(pieces: list[str]) -> tuple[str, tuple[Token, ...]]:
    """Joins target pieces into text; returns the text and each piece's span in it."""
    parts: list[str] = []
    length = 0
    spans: list[tuple[int, int]] = []
    pending_bytes = bytearray()
    pending_tokens: list[int] = []

    def flush_bytes() -> None:
        nonlocal length
        if not pending_bytes:
            return
        chunk = pending_bytes.decode("utf-8", errors="replace")
        start = length
        parts.append(chunk)
        length += len(chunk)
        for index in pending_tokens:
            spans[index] = (start, length)
        pending_bytes.clear()
        pending_tokens.clear()

    for index, piece in enumerate(pieces):
        spans.append((length, length))
        byte = _BYTE_PIECE.match(piece)
        if byte:
            pending_bytes.append(int(byte.group(1), 16))
            pending_tokens.append(index)
            if _utf8_complete(pending_bytes):
                flush_bytes()
            continue
        flush_bytes()
        if piece in _SPECIAL_PIECES:
            continue
        surface = piece.replace(WORD_MARK, " ")
        if not parts:
            surface = surface.lstrip(" ")
        leading = len(surface) - len(surface.lstrip(" "))
        parts.append(surface)
        spans[index] = (length + leading, length + len(surface))
        length += len(surface)
    flush_bytes()
    text = "".join(parts)
    stripped = text.rstrip(" ")
    tokens = tuple(
        Token(piece, min(start, len(stripped)), min(end, len(stripped)))
        for piece, (start, end) in zip(pieces, spans, strict=True)
    )
    return stripped, tokens


def _utf8_complete(data: bytearray) -> bool:
    """True when ``data`` ends on a character boundary (or can never become valid)."""
    lead = data[0]
    needed = 1 if lead < 0x80 else 2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4
    return len(data) >= needed or lead >> 6 == 0b10


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def word_spans(text: str) -> list[tuple[int, int]]:
    """Words of ``text`` as spans: whitespace-separated, leading and trailing
    punctuation («» " , . ، ...) split off as words of their own."""
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"\S+", text):
        start, end = match.span()
        head = start
        while head < end and _is_punctuation(text[head]):
            spans.append((head, head + 1))
            head += 1
        tail = end
        while tail > head and _is_punctuation(text[tail - 1]):
            tail -= 1
        if head < tail:
            spans.append((head, tail))
        spans.extend((i, i + 1) for i in range(tail, end))
    return spans


def word_index(words: list[tuple[int, int]], start: int, end: int) -> int | None:
    """Index of the first word that overlaps the token span ``[start, end)``."""
    end = max(end, start + 1)  # an empty span still names the position it sits at
    last_starting_before = bisect.bisect_right(words, (start, math.inf)) - 1
    for index in (last_starting_before, last_starting_before + 1):
        if 0 <= index < len(words) and words[index][0] < end and words[index][1] > start:
            return index
    return None
