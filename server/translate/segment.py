"""Sentence segmentation of Arabic news text, with code-point spans into the original.

Every line break ends a sentence and a paragraph (news text puts one paragraph on a line).
Within a line a sentence ends after `.` `؟` `!` `?` `؛` (or a run of them), plus any
closing quotes or brackets, when whitespace or the end of the line follows. What does not
end a sentence:

* an ellipsis (`...`, `…`) inside «», “” or "" quotations, and an elision `(...)` anywhere;
* a period inside a number, date or address (`3.5`, `12.05.2015`, `www.example.com`);
* a period after an initial or one-letter abbreviation (`جون ف. كينيدي`, `د. محمد`) or a
  Latin title (`Dr.`, `Mr.`), and after a list number at the start of a sentence (`1.`).

Arabic web text often omits the space after a full stop («الأسد.وقال»): a terminator
directly followed by an Arabic letter ends the sentence when the word before it is not an
abbreviation. A sentence longer than `max_chars` is cut at the last clause boundary that
fits: `،` or `,`, then `;`, then a word starting with the conjunction و, then any space.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tarjama.glossary.normalize import TATWEEL, contains_arabic_letter, is_attached_mark

LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_EVENT = re.compile(r"[«»“”\"]|[.!?؟؛…]+")
_CLOSERS = frozenset('»”’)]"')
_ARABIC_LETTER = re.compile(r"[\u0621-\u063a\u0641-\u064a\u0671-\u06d3]")
_LATIN_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "col", "lt", "sgt",
        "capt", "gov", "sen", "rep", "inc", "ltd", "co", "corp", "no", "vs",
    }
)  # fmt: skip
# Clause boundaries for cutting an over-long sentence, best first, each with whether the
# piece ends after the match (a comma stays on the left) or before it (a space, and the
# conjunction و that starts the next piece).
_CLAUSE_BOUNDARIES = (
    (re.compile(r"[،,](?!\d)"), True),
    (re.compile(r";"), True),
    (re.compile(r"\s(?=و[\u0621-\u064a])"), False),
    (re.compile(r"\s"), False),
)
_BOUNDARY_LOOKAHEAD = 3  # characters past the limit a boundary pattern may need to see


@dataclass(frozen=True)
class Sentence:
    """`text[start:end]` is the sentence, without surrounding whitespace."""

    start: int
    end: int
    paragraph: int  # 0-based index of the paragraph (non-empty line) it belongs to
    has_arabic: bool  # False for page furniture, numbers alone: nothing to translate


def segment(text: str, *, max_chars: int = 400) -> list[Sentence]:
    """Split `text` into sentences no longer than `max_chars` code points."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    sentences: list[Sentence] = []
    paragraph = 0
    for line_start, line_end in _lines(text):
        if not text[line_start:line_end].strip():
            continue
        for start, end in _sentence_spans(text, line_start, line_end):
            for piece_start, piece_end in _cut_long(text, start, end, max_chars):
                sentences.append(
                    Sentence(
                        piece_start,
                        piece_end,
                        paragraph,
                        contains_arabic_letter(text[piece_start:piece_end]),
                    )
                )
        paragraph += 1
    return sentences


def _lines(text: str) -> list[tuple[int, int]]:
    lines, start = [], 0
    for line_break in LINE_BREAK.finditer(text):
        lines.append((start, line_break.start()))
        start = line_break.end()
    lines.append((start, len(text)))
    return lines


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Trimmed, non-empty sentence spans of one line."""
    spans: list[tuple[int, int]] = []
    sentence_start = start
    quotes = _QuoteState()
    for event in _EVENT.finditer(text, start, end):
        mark = event.group()
        if mark in quotes.MARKS:
            quotes.see(mark)
            continue
        boundary = _boundary_after(text, event.start(), event.end(), end, sentence_start, quotes)
        if boundary is not None:
            spans.append((sentence_start, boundary))
            sentence_start = boundary
    spans.append((sentence_start, end))
    return [span for span in (_trim(text, *span) for span in spans) if span[0] < span[1]]


class _QuoteState:
    MARKS = frozenset('«»“”"')

    def __init__(self) -> None:
        self.guillemets = 0
        self.curly = 0
        self.straight_open = False

    def see(self, mark: str) -> None:
        # Depths never go below zero: news text has stray closing quotes.
        if mark == "«":
            self.guillemets += 1
        elif mark == "»":
            self.guillemets = max(0, self.guillemets - 1)
        elif mark == "“":
            self.curly += 1
        elif mark == "”":
            self.curly = max(0, self.curly - 1)
        else:
            self.straight_open = not self.straight_open

    @property
    def inside(self) -> bool:
        return self.guillemets > 0 or self.curly > 0 or self.straight_open


def _boundary_after(
    text: str, run_start: int, run_end: int, line_end: int, sentence_start: int, quotes: _QuoteState
) -> int | None:
    """Where the sentence ends, if the terminator run [run_start, run_end) ends it."""
    run = text[run_start:run_end]
    is_ellipsis = set(run) <= {".", "…"} and run != "."
    if is_ellipsis:
        before = text[run_start - 1] if run_start > sentence_start else ""
        after = text[run_end] if run_end < line_end else ""
        if (before, after) in (("(", ")"), ("[", "]")) or quotes.inside:
            return None
    if run == "." and _is_abbreviation(text, sentence_start, run_start):
        return None
    boundary = run_end
    while boundary < line_end and text[boundary] in _CLOSERS:
        if text[boundary] == '"' and not quotes.straight_open:
            break  # an opening quote of the next sentence
        boundary += 1
    if boundary == line_end or text[boundary].isspace():
        return boundary
    # «الأسد.وقال»: a missing space after the full stop, not an abbreviation before it.
    missing_space = (
        not is_ellipsis
        and boundary == run_end
        and _ARABIC_LETTER.match(text, boundary) is not None
        and len(_word_before(text, sentence_start, run_start)) >= 2
    )
    return boundary if missing_space else None


def _is_abbreviation(text: str, sentence_start: int, period: int) -> bool:
    """A period that closes an initial, a title or a list number, not a sentence."""
    word = _word_before(text, sentence_start, period)
    if not word:
        number_start = _back_over(text, sentence_start, period, str.isdigit)
        # "1." opening a sentence numbers a list item; "في عام 2015." ends a sentence.
        return number_start < period and (
            _back_over(text, sentence_start, number_start, str.isspace) == sentence_start
        )
    letters = word.replace(TATWEEL, "")
    if letters.lower() in _LATIN_ABBREVIATIONS:
        return True
    if len(letters) != 1:
        return False
    # A letter after a year is an era (1950م. / 1436 هـ.), which can end a sentence.
    before = _back_over(text, sentence_start, period - len(word), str.isspace)
    return not (before > sentence_start and text[before - 1].isdigit())


def _word_before(text: str, lower: int, position: int) -> str:
    """The letters (tatweel included) just before `position`, not before `lower`."""
    return text[_back_over(text, lower, position, _is_word_char) : position]


def _is_word_char(char: str) -> bool:
    return char.isalpha() or char == TATWEEL


def _back_over(text: str, lower: int, position: int, belongs: Callable[[str], bool]) -> int:
    """Step back from `position` over characters that `belongs` accepts, down to `lower`."""
    while position > lower and belongs(text[position - 1]):
        position -= 1
    return position


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > max_chars:
        cut = _clause_cut(text, start, start + max_chars)
        left = _trim(text, start, cut)
        if left[0] < left[1]:
            pieces.append(left)
        start = _trim(text, cut, end)[0]
    pieces.append((start, end))
    return pieces


def _clause_cut(text: str, start: int, limit: int) -> int:
    """Where to end a piece of text[start:...] that must end by `limit`."""
    search_end = min(limit + _BOUNDARY_LOOKAHEAD, len(text))
    # Prefer pieces of a reasonable size; accept a short one only when nothing else fits.
    for earliest in (start + (limit - start) // 4, start + 1):
        for boundary, piece_ends_after in _CLAUSE_BOUNDARIES:
            ends = [
                found.end() if piece_ends_after else found.start()
                for found in boundary.finditer(text, earliest, search_end)
            ]
            ends = [end for end in ends if end <= limit]
            if ends:
                return ends[-1]
    cut = limit
    while cut > start + 1 and is_attached_mark(text[cut]):
        cut -= 1  # never separate a letter from its diacritics
    return cut


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
