"""Sentence segmentation of Arabic news text, with code-point spans into the original.

A line break ends a sentence and a paragraph (news text puts one paragraph on a line),
except inside a span the caller asks to keep whole: the pipeline passes the document's
glossary hits, so a name wrapped onto the next line («جون⏎كيري») stays one sentence and
one hit, exactly as `tarjama glossary match` finds it in the whole text.

Within a paragraph a sentence ends after `.` `؟` `!` `?` (or a run of them), plus any
closing quotes or brackets, when whitespace or the end of the paragraph follows. What does
not end a sentence:

* the semicolons `؛` and `;`: both join clauses of one sentence, as in English, and are
  the preferred cut in a sentence that is too long;
* a terminator inside a quotation («», “”, ""; a mark counts only when it is closed in the
  same paragraph, so a stray quote changes nothing). A terminator that ends a quotation
  ends the sentence only when the quotation did not open it: «قال: «انتهى الأمر.» وغادر»
  is two sentences, «"هل انتهى؟" سأل الصحافي» is one, its reporting clause after it;
* an ellipsis (`...`, `…`), unless an upper-case letter follows: Arabic marks no sentence
  start, and writers use the ellipsis as a pause inside a sentence. An elision `(...)`
  never ends one;
* a period inside a number, date or address (`3.5`, `12.05.2015`, `www.example.com`);
* a period after an initial or one-letter abbreviation (`جون ف. كينيدي`, `د. محمد`) or a
  Latin title (`Dr.`, `Mr.`), and after a list number at the start of a sentence (`1.`).
  An era after a year (`1963م.`, `1436 هـ.`, `500 ق.م.`) and `ق.م.` anywhere can end one.
  Diacritics belong to their word: «رُوسْيَا.» ends a sentence like «روسيا.».

Arabic web text often omits the space after a full stop («الأسد.وقال»): a terminator
directly followed by an Arabic letter ends the sentence when the word before it is not an
abbreviation. A sentence longer than `max_chars` is cut at the last boundary that fits,
never inside a kept span: a sentence end the rules above passed over (inside a quotation,
an ellipsis), then `؛` or `;`, then `،` or `,`, then a word starting with the conjunction
و, then any space.

Cost is linear in the length of the text: every scan back from a position stops at the
previous event, and each cut of a long sentence looks at most `max_chars` ahead.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tarjama.glossary.normalize import LINE_BREAK, contains_arabic_letter, is_attached_mark
from tarjama.tracing import stage

_TERMINATOR_RUN = re.compile(r"[.!?؟…]+")
_EVENT = re.compile(r"[«»“”\"]|[.!?؟…]+")
_QUOTE = re.compile(r"[«»“”\"]")
_QUOTE_MARKS = frozenset('«»“”"')
_OPENING_OF = {"»": "«", "”": "“", '"': '"'}
_CLOSERS = frozenset('»”’)]"')
_ARABIC_LETTER = re.compile(r"[\u0621-\u063a\u0641-\u064a\u0671-\u06d3]")
_LATIN_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "col", "lt", "sgt",
        "capt", "gov", "sen", "rep", "inc", "ltd", "co", "corp", "no", "vs",
    }
)  # fmt: skip
_BEFORE_CHRIST = ("ق", "م")  # ق.م. "before the Messiah": an era even without a year
_NEXT_INITIAL = re.compile(r"\s?[^\W\d_]\.")  # «ق. م.»: the era goes on after «ق.»
_MAX_INITIALS = 3  # how far back a chain of initials (ق.م.) is read, to keep cost linear
# Clause boundaries for cutting an over-long sentence, after the passed-over sentence ends,
# best first, each with whether the piece ends after the match (a comma stays on the left)
# or before it (a space, and the conjunction و that starts the next piece).
_CLAUSE_BOUNDARIES = (
    (re.compile(r"[؛;]"), True),
    (re.compile(r"[،,](?!\d)"), True),
    (re.compile(r"\s(?=و[\u0621-\u064a])"), False),
    (re.compile(r"\s"), False),
)
_BOUNDARY_LOOKAHEAD = 3  # characters past the limit a boundary pattern may need to see


@dataclass(frozen=True)
class Sentence:
    """`text[start:end]` is the sentence, without surrounding whitespace."""

    start: int
    end: int
    paragraph: int  # 0-based index of its paragraph (a non-empty line, or lines a kept span joins)
    has_arabic: bool  # False for page furniture, numbers alone: nothing to translate


def segment(
    text: str, *, max_chars: int = 400, keep: Iterable[tuple[int, int]] = ()
) -> list[Sentence]:
    """Split `text` into sentences no longer than `max_chars` code points.

    No sentence boundary falls inside a `keep` span (start, end), such as a glossary hit,
    unless the span alone is longer than `max_chars`.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    with stage("tarjama.segment", {"tarjama.characters": len(text)}) as span:
        sentences = _segment(text, max_chars, _Spans(keep))
        span.set_attribute("tarjama.sentences", len(sentences))
    return sentences


def _segment(text: str, max_chars: int, kept: _Spans) -> list[Sentence]:
    sentences: list[Sentence] = []
    paragraph = 0
    for line_start, line_end in _paragraphs(text, kept):
        if not text[line_start:line_end].strip():
            continue
        for start, end, soft in _sentence_spans(text, line_start, line_end, kept):
            for piece_start, piece_end in _cut_long(text, start, end, max_chars, soft, kept):
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


def keeps_whole(sentences: Sequence[Sentence], spans: Iterable[tuple[int, int]]) -> bool:
    """True when no span (start, end) runs past the end of the sentence it starts in: a
    segmentation made without `keep` that needs no redoing for these spans."""
    starts = [sentence.start for sentence in sentences]
    for start, end in spans:
        index = bisect_right(starts, start) - 1
        if index >= 0 and start < sentences[index].end < end:
            return False
    return True


class _Spans:
    """Disjoint, sorted spans, asked whether a position falls strictly inside one."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            elif start < end:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def around(self, position: int) -> tuple[int, int] | None:
        """The span with start < position < end, if any."""
        index = bisect_left(self.starts, position) - 1
        if index >= 0 and position < self.ends[index]:
            return self.starts[index], self.ends[index]
        return None


def _paragraphs(text: str, kept: _Spans) -> list[tuple[int, int]]:
    paragraphs, start = [], 0
    for line_break in LINE_BREAK.finditer(text):
        if kept.around(line_break.start()) is None:
            paragraphs.append((start, line_break.start()))
            start = line_break.end()
    paragraphs.append((start, len(text)))
    return paragraphs


def _sentence_spans(
    text: str, start: int, end: int, kept: _Spans
) -> list[tuple[int, int, list[int]]]:
    """Trimmed, non-empty sentence spans of one paragraph, each with its passed-over
    sentence ends (the best places to cut it if it is too long)."""
    spans: list[tuple[int, int, list[int]]] = []
    sentence_start = start
    first = _skip_space(text, start, end)  # the sentence's first character
    soft: list[int] = []
    quotes = _Quotations(text, start, end)
    for event in _EVENT.finditer(text, start, end):
        if quotes.see(event.start()):
            continue
        boundary, passed = _boundary_after(
            text, event.start(), event.end(), end, (sentence_start, first), quotes
        )
        if boundary is not None and kept.around(boundary) is None:
            spans.append((sentence_start, boundary, soft))
            sentence_start, soft = boundary, []
            first = _skip_space(text, boundary, end)
        elif passed is not None:
            soft.append(passed)
    spans.append((sentence_start, end, soft))
    trimmed = [(*_trim(text, s, e), cuts) for s, e, cuts in spans]
    return [span for span in trimmed if span[0] < span[1]]


class _Quotations:
    """The quotation marks of one paragraph that are closed within it, and how deep the
    scan is inside them. News text has stray quotes: those change nothing."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.closing: dict[int, int] = {}  # opening position → closing position
        self.closings: set[int] = set()
        open_marks: dict[str, list[int]] = {"«": [], "“": [], '"': []}
        for found in _QUOTE.finditer(text, start, end):
            mark, position = found.group(), found.start()
            if mark in open_marks and (mark != '"' or not open_marks['"']):
                open_marks[mark].append(position)
                continue
            kind = _OPENING_OF[mark]
            if open_marks[kind]:
                self.closing[open_marks[kind].pop()] = position
                self.closings.add(position)
        self.depth = 0
        self.outermost = -1  # where the outermost open quotation starts

    def see(self, position: int) -> bool:
        """Take in the event at `position`; False when it is not a quotation mark."""
        if self.text[position] not in _QUOTE_MARKS:
            return False
        if position in self.closing:
            if self.depth == 0:
                self.outermost = position
            self.depth += 1
        elif position in self.closings and self.depth > 0:
            self.depth -= 1
        return True

    def closers_end(self, position: int, line_end: int) -> tuple[int, bool]:
        """The end of the closing marks from `position`, and whether they close every
        open quotation."""
        depth = self.depth
        while position < line_end and self.text[position] in _CLOSERS:
            if self.text[position] == '"' and position not in self.closings:
                break  # an opening quote of the next sentence
            if position in self.closings:
                depth -= 1
            position += 1
        return position, depth <= 0


def _boundary_after(
    text: str,
    run_start: int,
    run_end: int,
    line_end: int,
    sentence: tuple[int, int],
    quotes: _Quotations,
) -> tuple[int | None, int | None]:
    """Where the sentence that starts at `sentence` (its start, its first character) ends,
    if the terminator run [run_start, run_end) ends it; else where it would have ended had
    the rules not passed over it (or None)."""
    sentence_start, first = sentence
    run = text[run_start:run_end]
    is_ellipsis = set(run) <= {".", "…"} and run != "."
    if is_ellipsis:
        before = text[run_start - 1] if run_start > sentence_start else ""
        after = text[run_end] if run_end < line_end else ""
        if (before, after) in (("(", ")"), ("[", "]")):
            return None, None
    if run == "." and _is_abbreviation(text, sentence_start, run_start):
        return None, None
    inside = quotes.depth > 0
    boundary, closes_quotation = quotes.closers_end(run_end, line_end)
    if boundary < line_end and not text[boundary].isspace():
        # «الأسد.وقال»: a missing space after the full stop, not an abbreviation before it.
        missing_space = (
            not inside
            and not is_ellipsis
            and boundary == run_end
            and _ARABIC_LETTER.match(text, boundary) is not None
            and len(_letters(_word_before(text, sentence_start, run_start))) >= 2
        )
        return (boundary if missing_space else None), None
    if is_ellipsis:
        following = _skip_space(text, boundary, line_end)
        ends = following < line_end and text[following].isupper()
    else:
        ends = not inside or (closes_quotation and quotes.outermost != first)
    return (boundary, None) if ends else (None, boundary)


def _is_abbreviation(text: str, sentence_start: int, period: int) -> bool:
    """A period that closes an initial, a title or a list number, not a sentence."""
    word = _word_before(text, sentence_start, period)
    if not word:
        number_start = _back_over(text, sentence_start, period, str.isdigit)
        # "1." opening a sentence numbers a list item; "في عام 2015." ends a sentence.
        return number_start < period and (
            _back_over(text, sentence_start, number_start, str.isspace) == sentence_start
        )
    letters = _letters(word)
    if letters.lower() in _LATIN_ABBREVIATIONS:
        return True
    if len(letters) != 1:
        return False
    if _NEXT_INITIAL.match(text, period + 1):
        return True
    # A chain of initials after a year is an era (1950م. / 1436 هـ. / 500 ق.م.), and so is
    # ق.م. anywhere: both can end a sentence.
    chain = [letters]
    chain_start = period - len(word)
    for _ in range(_MAX_INITIALS):
        dot = _back_over(text, sentence_start, chain_start, str.isspace)
        if dot <= sentence_start or text[dot - 1] != ".":
            break
        initial = _word_before(text, sentence_start, dot - 1)
        if len(_letters(initial)) != 1:
            break
        chain.insert(0, _letters(initial))
        chain_start = dot - 1 - len(initial)
    if tuple(chain[-2:]) == _BEFORE_CHRIST:
        return False
    before = _back_over(text, sentence_start, chain_start, str.isspace)
    return not (before > sentence_start and text[before - 1].isdigit())


def _word_before(text: str, lower: int, position: int) -> str:
    """The word just before `position` (its diacritics and tatweel included), not before
    `lower`."""
    return text[_back_over(text, lower, position, _is_word_char) : position]


def _letters(word: str) -> str:
    return "".join(char for char in word if not is_attached_mark(char))


def _is_word_char(char: str) -> bool:
    return char.isalpha() or is_attached_mark(char)


def _back_over(text: str, lower: int, position: int, belongs: Callable[[str], bool]) -> int:
    """Step back from `position` over characters that `belongs` accepts, down to `lower`."""
    while position > lower and belongs(text[position - 1]):
        position -= 1
    return position


def _cut_long(
    text: str, start: int, end: int, max_chars: int, soft: list[int], kept: _Spans
) -> list[tuple[int, int]]:
    pieces = []
    while end - start > max_chars:
        cut = _clause_cut(text, start, start + max_chars, soft, kept)
        left = _trim(text, start, cut)
        if left[0] < left[1]:
            pieces.append(left)
        start = _trim(text, cut, end)[0]
    pieces.append((start, end))
    return pieces


def _clause_cut(text: str, start: int, limit: int, soft: list[int], kept: _Spans) -> int:
    """Where to end a piece of text[start:...] that must end by `limit`."""
    search_end = min(limit + _BOUNDARY_LOOKAHEAD, len(text))
    # Prefer pieces of a reasonable size; accept a short one only when nothing else fits.
    for earliest in (start + (limit - start) // 4, start + 1):
        passed = soft[bisect_left(soft, earliest) : bisect_right(soft, limit)]
        ends = [end for end in passed if kept.around(end) is None]
        if ends:
            return ends[-1]
        for boundary, piece_ends_after in _CLAUSE_BOUNDARIES:
            ends = [
                found.end() if piece_ends_after else found.start()
                for found in boundary.finditer(text, earliest, search_end)
            ]
            ends = [end for end in ends if end <= limit and kept.around(end) is None]
            if ends:
                return ends[-1]
    span = kept.around(limit)
    if span is not None and span[0] > start:
        return span[0]  # before a kept span that does not fit: it starts the next piece
    cut = limit
    while cut > start + 1 and is_attached_mark(text[cut]):
        cut -= 1  # never separate a letter from its diacritics...
    # ...unless it has more than fit in a piece: then cut among them, so pieces stay long.
    return limit if is_attached_mark(text[cut]) else cut


def _skip_space(text: str, position: int, end: int) -> int:
    while position < end and text[position].isspace():
        position += 1
    return position


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
