"""A :class:`MarkupDocument` and its translation → HTML, the markup placed by word alignment.

The contract is in :mod:`tarjama.server.translate.markup`. Each block's translation is the
target text of the sentence pairs whose source lies in the block. Inline elements are laid
out as a tree, outermost first: each gets the target span of what it wrapped (whole
sentences → their whole translation; part of a sentence → the target words aligned to its
source words; no alignment → the same relative position, widened to whole words), clipped
into its parent's span and past its earlier siblings, so the output nests as the source
did. An element that wrapped words always keeps at least one word while there is one.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tarjama.server.translate.markup_parse import HTML_SPACE, InlineElement, MarkupDocument

SpanLink = tuple[int, int, int, int]
"""(source_start, source_end, target_start, target_end), code points into the document
text and the translation: a sentence pair, or one aligned word pair."""

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\u00a0": "&nbsp;"}


@dataclass(frozen=True)
class RebuiltHtml:
    """The output HTML and, per code point of the translation, where it was written."""

    html: str
    target_starts: tuple[int, ...]
    target_ends: tuple[int, ...]

    def html_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``translation[start:end]`` in :attr:`html`."""
        if start >= end:
            offset = (
                self.target_starts[start] if start < len(self.target_starts) else len(self.html)
            )
            return (offset, offset)
        return (self.target_starts[start], self.target_ends[end - 1])


def rebuild(
    document: MarkupDocument,
    translation: str,
    sentence_pairs: Sequence[SpanLink],
    word_alignment: Sequence[SpanLink],
) -> str:
    """The HTML of ``document`` with ``translation`` in place of its text."""
    return rebuild_mapped(document, translation, sentence_pairs, word_alignment).html


def rebuild_mapped(
    document: MarkupDocument,
    translation: str,
    sentence_pairs: Sequence[SpanLink],
    word_alignment: Sequence[SpanLink],
) -> RebuiltHtml:
    """:func:`rebuild`, with where each translated code point landed in the output."""
    pairs = sorted(sentence_pairs)
    links = sorted(word_alignment)
    out = _Output(len(translation))
    next_pair = next_link = 0
    target_end = 0
    for part in document.parts:
        if isinstance(part, str):
            out.raw(part)
            continue
        block = document.blocks[part]
        block_pairs: list[SpanLink] = []
        while next_pair < len(pairs) and pairs[next_pair][0] < block.end:
            if pairs[next_pair][1] > block.start or pairs[next_pair][0] >= block.start:
                block_pairs.append(pairs[next_pair])
            next_pair += 1
        block_links: list[SpanLink] = []
        while next_link < len(links) and links[next_link][0] < block.end:
            if links[next_link][0] >= block.start:
                block_links.append(links[next_link])
            next_link += 1
        if block_pairs:
            target_start = max(0, min(p[2] for p in block_pairs))
            target_end = min(len(translation), max(p[3] for p in block_pairs))
        else:  # no sentence of this block was translated: its tags stay, with no text
            target_start = target_end
        placer = _Placer(
            document.text[block.start : block.end],
            translation[target_start:target_end],
            _relative(block_pairs, block.start, target_start, target_end),
            _relative(block_links, block.start, target_start, target_end),
        )
        out.raw(block.lead)
        placed = placer.place(block.elements, block.start, 0, len(placer.target))
        out.render(placed, placer.target, 0, len(placer.target), target_start)
        out.raw(block.trail)
    return out.finish()


def needs_alignment(document: MarkupDocument) -> bool:
    """Whether :func:`rebuild` reads the word alignment to place this page's markup: an
    inline element that starts or ends inside a block's text, or a point (an image, a
    comment) in one. An element around a whole block takes its sentences' whole
    translation, so a page whose inline elements are all such needs sentence pairs only."""
    return any(
        element.start == element.end or element.start > block.start or element.end < block.end
        for block in document.blocks
        for element in _walk(block.elements)
    )


def _walk(elements: Sequence[InlineElement]) -> Iterator[InlineElement]:
    for element in elements:
        yield element
        yield from _walk(element.children)


def _relative(links: list[SpanLink], source: int, target: int, target_end: int) -> list[SpanLink]:
    """Links relative to a block and its translation; those outside its translation go."""
    relative = []
    for s0, s1, t0, t1 in links:
        t0, t1 = max(t0, target), min(t1, target_end)
        if t0 <= t1:
            relative.append((s0 - source, s1 - source, t0 - target, t1 - target))
    return relative


@dataclass
class _Placed:
    element: InlineElement
    start: int  # in the block's translation
    end: int
    children: list[_Placed]
    space_after: bool = False  # a point that had whitespace on both sides in the source


class _Placer:
    """Target spans for the inline elements of one block (all offsets block-relative)."""

    def __init__(
        self, source: str, target: str, sentences: list[SpanLink], links: list[SpanLink]
    ) -> None:
        self.source = source
        self.target = target
        self._sentences = sentences
        self._sentence_starts = [s[0] for s in sentences]
        self._links: list[list[SpanLink]] = [[] for _ in sentences]
        for link in links:
            index = bisect.bisect_right(self._sentence_starts, link[0]) - 1
            if index >= 0:
                self._links[index].append(link)

    def place(
        self, elements: Sequence[InlineElement], offset: int, lo: int, hi: int
    ) -> list[_Placed]:
        """Place sibling ``elements`` (text offsets minus ``offset`` are block-relative)
        disjointly inside ``[lo, hi)``."""
        wanted = []
        for order, element in enumerate(elements):
            start, end = element.start - offset, element.end - offset
            point = not self.source[start:end].strip(HTML_SPACE)
            if point:
                a = b = min(max(self._point(start), lo), hi)
            else:
                a, b = self._span(start, end)
                a, b = min(max(a, lo), hi), min(max(b, lo), hi)
            if element.continued:
                a = lo
            if element.continues:
                b = hi
            rank = 0 if element.continued else 2 if element.continues else 1
            wanted.append((rank, a, order, b, point, element))
        placed: list[_Placed] = []
        cursor = lo
        for _, a, _, b, point, element in sorted(wanted, key=lambda w: w[:3]):
            a = max(a, cursor)
            b = max(b, a)
            if not point and a == b:
                b = self._word_end(a, hi)
            start = element.start - offset
            children = self.place(element.children, offset, a, b)
            placed.append(_Placed(element, a, b, children, point and self._space_after(start, a)))
            cursor = b
        return placed

    def _span(self, start: int, end: int) -> tuple[int, int]:
        spans = []
        first = max(0, bisect.bisect_right(self._sentence_starts, start) - 1)
        for index in range(first, len(self._sentences)):
            s0, s1, t0, t1 = self._sentences[index]
            if s0 >= end:
                break
            if s1 <= start:
                continue
            if start <= s0 and end >= s1:
                spans.append((t0, t1))
                continue
            aligned = [(l2, l3) for l0, l1, l2, l3 in self._links[index] if l0 < end and l1 > start]
            if aligned:
                spans.append((min(a for a, _ in aligned), max(b for _, b in aligned)))
            else:
                spans.append(self._proportional(start, end, s0, s1, t0, t1))
        if not spans:
            spans.append(self._proportional(start, end, 0, len(self.source), 0, len(self.target)))
        a, b = min(a for a, _ in spans), max(b for _, b in spans)
        # Whitespace the element wrapped at its edges stays inside it.
        if self.source[start] in HTML_SPACE and a > 0 and self.target[a - 1] in HTML_SPACE:
            a -= 1
        if self.source[end - 1] in HTML_SPACE and b < len(self.target) and self.target[b] == " ":
            b += 1
        return a, b

    def _proportional(
        self, start: int, end: int, s0: int, s1: int, t0: int, t1: int
    ) -> tuple[int, int]:
        """The same relative place in the target, widened to whole words."""
        scale = (t1 - t0) / max(1, s1 - s0)
        a = self._nearest_boundary(t0 + round((max(start, s0) - s0) * scale), t0, t1)
        b = self._nearest_boundary(t0 + round((min(end, s1) - s0) * scale), t0, t1)
        while a < b and self.target[a] in HTML_SPACE:
            a += 1
        while b > a and self.target[b - 1] in HTML_SPACE:
            b -= 1
        return (a, b) if a < b else (a, self._word_end(a, t1))

    def _nearest_boundary(self, position: int, lo: int, hi: int) -> int:
        """The nearer edge of the word ``position`` falls in (``position`` if none)."""
        if not self._inside_word(position):
            return position
        start = end = position
        while start > lo and self._inside_word(start):
            start -= 1
        while end < hi and self._inside_word(end):
            end += 1
        return start if position - start <= end - position else end

    def _point(self, position: int) -> int:
        """Where a point of the source (an anchor, an empty element) goes in the target."""
        index = bisect.bisect_right(self._sentence_starts, position) - 1
        if index < 0:
            return self._sentences[0][2] if self._sentences else 0
        s0, s1, t0, t1 = self._sentences[index]
        before = [link for link in self._links[index] if link[1] <= position < s1]
        after = [link for link in self._links[index] if link[0] >= position]
        if position < s1 and not before and after:
            return min(after)[2]
        if position < s1 and not before:
            proportional = t0 + round((position - s0) * (t1 - t0) / max(1, s1 - s0))
            target = self._nearest_boundary(proportional, t0, t1)
        else:
            target = max(before, key=lambda link: link[1])[3] if before else t1
        if (
            position > 0
            and self.source[position - 1] in HTML_SPACE
            and 0 < target < len(self.target)
            and self.target[target] in HTML_SPACE
            and self.target[target - 1] not in HTML_SPACE
        ):
            target += 1  # at a word's end, then the space, as in the source
        return target

    def _space_after(self, position: int, target: int) -> bool:
        """Whether a point needs a space written after it: the source had one there, and
        the target has one only before it."""
        return (
            position < len(self.source)
            and self.source[position] in HTML_SPACE
            and 0 < target < len(self.target)
            and self.target[target - 1] in HTML_SPACE
            and self.target[target] not in HTML_SPACE
        )

    def _inside_word(self, position: int) -> bool:
        text = self.target
        return 0 < position < len(text) and not (
            text[position - 1] in HTML_SPACE or text[position] in HTML_SPACE
        )

    def _word_end(self, position: int, limit: int) -> int:
        """The end of the next word from ``position`` (at most ``limit``)."""
        text = self.target
        while position < limit and text[position] in HTML_SPACE:
            position += 1
        while position < limit and text[position] not in HTML_SPACE:
            position += 1
        return position


class _Output:
    def __init__(self, target_length: int) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._starts = [-1] * target_length
        self._ends = [-1] * target_length

    def raw(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def render(
        self, placed: list[_Placed], target: str, lo: int, hi: int, target_offset: int
    ) -> None:
        cursor = lo
        for node in placed:
            self._text(target, cursor, node.start, target_offset)
            self.raw(node.element.open_tag)
            self.render(node.children, target, node.start, node.end, target_offset)
            self.raw(node.element.close_tag)
            if node.space_after:
                self.raw(" ")
            cursor = node.end
        self._text(target, cursor, hi, target_offset)

    def _text(self, target: str, start: int, end: int, target_offset: int) -> None:
        for index in range(start, end):
            char = target[index]
            written = _ESCAPES.get(char, char)
            self._starts[target_offset + index] = self._length
            self.raw(written)
            self._ends[target_offset + index] = self._length

    def finish(self) -> RebuiltHtml:
        previous = 0
        for index, start in enumerate(self._starts):  # text between blocks: at the last end
            if start < 0:
                self._starts[index] = self._ends[index] = previous
            else:
                previous = self._ends[index]
        return RebuiltHtml("".join(self._parts), tuple(self._starts), tuple(self._ends))
