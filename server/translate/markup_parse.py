"""HTML → :class:`MarkupDocument`: the translatable text and where the markup sat in it.

The contract is in :mod:`tarjama.server.translate.markup`. Token by token (see
:mod:`~tarjama.server.translate.markup_tokens`), this decides what is a block boundary,
an inline element, an untouched region or text, keeping an open-element stack to close
what the source left open.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import cast

from tarjama.server.translate.markup_tokens import HTML_SPACE, Attributes, flip_direction, tokenize

# Elements that start or end a block of text: a sentence never crosses them.
BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "button", "caption",
        "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup",
        "hr", "html", "iframe", "legend", "li", "main", "menu", "nav", "noscript", "ol",
        "optgroup", "option", "p", "section", "select", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "title", "tr", "ul",
    }
)  # fmt: skip
# Elements whose content is never translated. The first group holds code or raw text;
# the second also separates blocks (their content is not part of a sentence).
UNTOUCHED_ELEMENTS = frozenset({"code", "kbd", "samp", "var", "svg", "math"})
UNTOUCHED_BLOCK_ELEMENTS = frozenset({"script", "style", "pre", "textarea", "template"})
VOID_ELEMENTS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr",
    }
)  # fmt: skip
# A start tag of one of these, while one is open, implies its end (HTML's optional end tags).
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "td", "th", "tr", "option"})
BLOCK_SEPARATOR = "\n\n"
_RUNS = re.compile(f"[{HTML_SPACE}]+|[^{HTML_SPACE}]+")  # whitespace runs, and the text between


@dataclass(frozen=True)
class InlineElement:
    """An element inside a block, at code-point offsets ``[start, end)`` of the document text.

    ``open_tag`` and ``close_tag`` are written to the output as they are: the verbatim tags
    (``dir``/``lang`` flipped), a synthesized ``</name>`` where the source left the end
    implied, and "" where there is none. A point (``start == end``) whose ``close_tag`` is
    "" is an *anchor*: a void element, a comment, or a whole untouched element verbatim.
    ``continued`` means it opened in an earlier block (no open tag in this one),
    ``continues`` that it closes in a later block (no close tag in this one).
    """

    name: str
    start: int
    end: int
    open_tag: str
    close_tag: str
    children: tuple[InlineElement, ...] = ()
    continued: bool = False
    continues: bool = False


@dataclass(frozen=True)
class Block:
    """``text[start:end]`` of the document; ``lead``/``trail`` are the verbatim whitespace
    before and after it (outside every inline element), written back unchanged."""

    start: int
    end: int
    lead: str
    trail: str
    elements: tuple[InlineElement, ...]


@dataclass(frozen=True)
class MarkupDocument:
    """``parts`` is the output skeleton: verbatim markup (``str``) or a block index."""

    text: str
    blocks: tuple[Block, ...]
    parts: tuple[str | int, ...]
    html_starts: tuple[int, ...]  # per code point of ``text``: where it starts in the HTML
    html_ends: tuple[int, ...]  # ... and where it ends (an entity spans several characters)

    def html_span(self, start: int, end: int) -> tuple[int, int]:
        """The HTML source span of ``text[start:end]``."""
        if not self.text:
            return (0, 0)
        if start >= end:
            offset = self.html_starts[start] if start < len(self.text) else self.html_ends[-1]
            return (offset, offset)
        return (self.html_starts[start], self.html_ends[end - 1])


def extract(source: str) -> MarkupDocument:
    """Parse ``source`` (HTML) into its translatable text and markup skeleton."""
    builder = _Builder(source)
    for kind, start, end, payload in tokenize(source):
        builder.token(kind, start, end, payload)
    return builder.finish()


@dataclass
class _Open:
    """An element on the open-element stack; ``inline`` is None for a block element."""

    name: str
    inline: _InlineOpen | None


@dataclass(eq=False)
class _InlineOpen:
    name: str
    open_tag: str


@dataclass
class _Untouched:
    name: str
    inline: bool
    raw: list[str]
    inner: list[str] = field(default_factory=list)  # elements open inside the region


# Pieces of a segment (the tokens between two block boundaries), in source order.
@dataclass
class _Text:
    text: str
    raw: str
    start: int  # source offset of the first character
    entity: bool  # one entity: every decoded character spans the whole raw text


@dataclass
class _Mark:
    kind: str  # "open", "close" or "anchor"
    raw: str
    element: _InlineOpen | None = None


class _Builder:
    def __init__(self, source: str) -> None:
        self._source = source
        self._parts: list[str | int] = []
        self._blocks: list[Block] = []
        self._text: list[str] = []
        self._length = 0
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._stack: list[_Open] = []
        self._segment: list[_Text | _Mark] = []
        self._carried: list[_InlineOpen] = []  # inline elements open when the segment began
        self._untouched: _Untouched | None = None
        self._pending_space: tuple[int, int] | None = None  # source span of a collapsed run
        self._after_space = True

    def token(self, kind: str, start: int, end: int, payload: object) -> None:
        raw = self._source[start:end]
        if self._untouched is not None and self._continue_untouched(kind, raw, payload):
            return
        if kind == "data":
            assert isinstance(payload, str)
            text = payload if raw.startswith(payload) else ""
            self._segment.append(_Text(text, text, start, entity=False))
            if len(raw) > len(text):  # what the tokenizer skipped (e.g. "</>") stays verbatim
                self._segment.append(_Mark("anchor", raw[len(text) :]))
        elif kind == "entity":
            self._segment.append(_Text(html.unescape(raw), raw, start, entity=True))
        elif kind in ("start", "startend"):
            tag, attrs = cast(tuple[str, Attributes], payload)
            self._start_tag(tag, attrs, raw, void=kind == "startend" or tag in VOID_ELEMENTS)
        elif kind == "end":
            assert isinstance(payload, str)
            self._end_tag(payload, raw)
        else:
            self._segment.append(_Mark("anchor", raw))

    def _start_tag(self, tag: str, attrs: Attributes, raw: str, *, void: bool) -> None:
        if tag in _SELF_CLOSING_SIBLINGS and any(o.name == tag for o in self._stack[-1:]):
            self._stack.pop()
        if _is_untouched(tag, attrs):
            inline = tag not in BLOCK_ELEMENTS and tag not in UNTOUCHED_BLOCK_ELEMENTS
            if not inline:
                self._boundary()
            self._untouched = _Untouched(tag, inline, [raw])
            if void:
                self._end_untouched()
            return
        raw = flip_direction(raw, attrs)
        if tag in BLOCK_ELEMENTS:
            self._boundary()
            self._parts.append(raw)
            if not void:
                self._stack.append(_Open(tag, None))
        elif void:
            self._segment.append(_Mark("anchor", raw))
        else:
            element = _InlineOpen(tag, raw)
            self._stack.append(_Open(tag, element))
            self._segment.append(_Mark("open", raw, element))

    def _end_tag(self, tag: str, raw: str) -> None:
        index = next(
            (i for i in reversed(range(len(self._stack))) if self._stack[i].name == tag), None
        )
        if index is None:  # a stray end tag: kept verbatim where it was
            if tag in BLOCK_ELEMENTS:
                self._boundary()
                self._parts.append(raw)
            else:
                self._segment.append(_Mark("anchor", raw))
            return
        self._close_above(index)
        element = self._stack.pop().inline
        if element is None:
            self._boundary()
            self._parts.append(raw)
        else:
            self._segment.append(_Mark("close", raw, element))

    def _close_above(self, index: int) -> None:
        """Close (with synthesized end tags) what the source left open above ``index``."""
        while len(self._stack) > index + 1:
            element = self._stack.pop().inline
            if element is not None:
                self._segment.append(_Mark("close", f"</{element.name}>", element))

    def _continue_untouched(self, kind: str, raw: str, payload: object) -> bool:
        """Take the token into the untouched region; False when it ends the region first."""
        region = self._untouched
        assert region is not None
        if kind == "start":
            name = payload[0]  # type: ignore[index]
            if not region.inner and name == region.name and name in _SELF_CLOSING_SIBLINGS:
                self._end_untouched()  # <li translate="no">…<li>: the next item ends it
                return False
            if name not in VOID_ELEMENTS:
                region.inner.append(name)
        elif kind == "end":
            assert isinstance(payload, str)
            if payload in region.inner:
                last = len(region.inner) - 1 - region.inner[::-1].index(payload)
                del region.inner[last:]
            elif payload == region.name:
                region.raw.append(raw)
                self._end_untouched()
                return True
            elif any(o.name == payload for o in self._stack):
                self._end_untouched()  # an enclosing element ends, and the region with it
                return False
        region.raw.append(raw)
        return True

    def _end_untouched(self) -> None:
        region = self._untouched
        assert region is not None
        self._untouched = None
        verbatim = "".join(region.raw)
        if region.inline:
            self._segment.append(_Mark("anchor", verbatim))
        else:
            self._parts.append(verbatim)

    def finish(self) -> MarkupDocument:
        if self._untouched is not None:
            self._end_untouched()
        self._close_above(-1)
        self._boundary()
        return MarkupDocument(
            "".join(self._text),
            tuple(self._blocks),
            tuple(self._parts),
            tuple(self._starts),
            tuple(self._ends),
        )

    def _boundary(self) -> None:
        """End the current segment: a block when it has text, verbatim markup otherwise."""
        segment, carried = self._segment, self._carried
        self._segment = []
        self._carried = [o.inline for o in self._stack if o.inline is not None]
        if not any(isinstance(p, _Text) and p.text.strip(HTML_SPACE) for p in segment):
            self._parts.append("".join(p.raw for p in segment))
            return
        lead, first = _lead(segment)
        trail, last = _trail(segment, first)
        if self._blocks:
            self._append_text(BLOCK_SEPARATOR, self._ends[-1], self._ends[-1])
        block_start = self._length
        elements = self._layout(segment[first : last + 1], carried, block_start)
        self._parts.append(len(self._blocks))
        self._blocks.append(Block(block_start, self._length, lead, trail, elements))

    def _layout(
        self, pieces: list[_Text | _Mark], carried: list[_InlineOpen], block_start: int
    ) -> tuple[InlineElement, ...]:
        """Append the pieces' text (whitespace runs collapsed, as a browser renders them)
        and build the element tree."""
        # Each open frame: [element or None (the root), start, children, continued].
        frames: list[tuple[_InlineOpen | None, int, list[InlineElement], bool]] = [
            (None, block_start, [], False)
        ]
        frames += [(element, block_start, [], True) for element in carried]
        self._after_space = True  # no space at a block's start
        for piece in pieces:
            if isinstance(piece, _Text):
                self._append_collapsed(piece)
                continue
            self._flush_space()  # a space before a tag or an anchor stays before it
            if piece.kind == "open":
                frames.append((piece.element, self._length, [], False))
            elif piece.kind == "close":
                element, start, children, continued = frames.pop()
                assert element is piece.element and element is not None
                frames[-1][2].append(
                    InlineElement(
                        element.name, start, self._length, "" if continued else element.open_tag,
                        piece.raw, tuple(children), continued=continued,
                    )
                )  # fmt: skip
            else:
                frames[-1][2].append(InlineElement("", self._length, self._length, piece.raw, ""))
                # Whitespace on both sides of an anchor is kept: each side is one space.
                self._after_space = False
        self._pending_space = None
        while len(frames) > 1:  # open past the block's end
            element, start, children, continued = frames.pop()
            assert element is not None
            if continued:  # spans the whole block: nothing of it to write here
                frames[-1][2].extend(children)
            else:
                frames[-1][2].append(
                    InlineElement(
                        element.name, start, self._length, element.open_tag, "",
                        tuple(children), continues=True,
                    )
                )  # fmt: skip
        return tuple(frames[0][2])

    def _append_collapsed(self, piece: _Text) -> None:
        """Append a text piece with each whitespace run as one space, as a browser shows it;
        the space is written when something follows it in the block."""
        for run in _RUNS.finditer(piece.text):
            if piece.entity:  # every character decoded from it spans the whole entity
                start, end = piece.start, piece.start + len(piece.raw)
            else:
                start, end = piece.start + run.start(), piece.start + run.end()
            if run.group()[0] not in HTML_SPACE:
                self._flush_space()
                self._append_text(run.group(), start, end, spread=not piece.entity)
                self._after_space = False
            elif self._pending_space is not None:
                self._pending_space = (self._pending_space[0], end)
            elif not self._after_space:
                self._pending_space = (start, end)

    def _flush_space(self) -> None:
        if self._pending_space is not None:
            self._append_text(" ", *self._pending_space)
            self._pending_space = None
            self._after_space = True

    def _append_text(self, text: str, start: int, end: int, *, spread: bool = False) -> None:
        """Append ``text`` from ``source[start:end]``: one character per source character
        when ``spread``, else each character from the whole span."""
        self._text.append(text)
        self._length += len(text)
        if spread:
            self._starts.extend(range(start, end))
            self._ends.extend(range(start + 1, end + 1))
        else:
            self._starts.extend([start] * len(text))
            self._ends.extend([end] * len(text))


def _lead(segment: list[_Text | _Mark]) -> tuple[str, int]:
    """The verbatim whitespace that starts a segment (before any tag) and the index of the
    first piece after it; a piece that starts with whitespace is split."""
    taken: list[str] = []
    for index, piece in enumerate(segment):
        if not isinstance(piece, _Text) or piece.entity:
            return "".join(taken), index
        stripped = piece.text.lstrip(HTML_SPACE)
        cut = len(piece.text) - len(stripped)
        taken.append(piece.text[:cut])
        if stripped:
            segment[index] = _Text(stripped, stripped, piece.start + cut, entity=False)
            return "".join(taken), index
    return "".join(taken), len(segment)


def _trail(segment: list[_Text | _Mark], first: int) -> tuple[str, int]:
    """Like :func:`_lead` at the end: the whitespace and the index of the last piece before."""
    taken: list[str] = []
    for index in range(len(segment) - 1, first - 1, -1):
        piece = segment[index]
        if not isinstance(piece, _Text) or piece.entity:
            return "".join(reversed(taken)), index
        stripped = piece.text.rstrip(HTML_SPACE)
        taken.append(piece.text[len(stripped) :])
        if stripped:
            segment[index] = _Text(stripped, stripped, piece.start, entity=False)
            return "".join(reversed(taken)), index
    return "".join(reversed(taken)), first - 1


def _is_untouched(tag: str, attrs: Attributes) -> bool:
    if tag in UNTOUCHED_ELEMENTS or tag in UNTOUCHED_BLOCK_ELEMENTS:
        return True
    for name, value in attrs:
        if name == "translate" and (value or "").strip().lower() == "no":
            return True
        if name == "class" and "notranslate" in (value or "").split():
            return True
    return False
