"""HTML tokens with exact source offsets, and the ``dir``/``lang`` rewrite of a start tag.

The standard library's :class:`html.parser.HTMLParser` tokenises. It is lenient and
drops nothing that matters: the verbatim text of a token is the source between its
position and the next token's, so every character of the input belongs to one token.
Entities are tokens of their own (``convert_charrefs=False``), so each decoded
character keeps its exact place in the source.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

HTML_SPACE = " \t\n\r\f"
Attributes = list[tuple[str, str | None]]
Token = tuple[str, int, int, object]
"""(kind, start, end, payload): kind "start"/"startend" (payload (tag, attributes)),
"end" (payload the tag), "data" (the text), "entity", or "other" (comment, doctype,
processing instruction); ``source[start:end]`` is the verbatim token."""


def tokenize(source: str) -> list[Token]:
    tokenizer = _Tokenizer()
    tokenizer.feed(source)
    tokenizer.close()
    starts = tokenizer.tokens
    if source and (not starts or starts[0][1] > 0):  # what the parser skipped ("</>") stays
        starts.insert(0, ("other", 0, None))
    return [
        (kind, start, starts[index + 1][1] if index + 1 < len(starts) else len(source), payload)
        for index, (kind, start, payload) in enumerate(starts)
    ]


class _Tokenizer(HTMLParser):
    """Records (kind, absolute start offset, payload) for every token."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # entities as tokens: exact offsets
        self.tokens: list[tuple[str, int, object]] = []
        self._line_starts = [0]
        self._fed = 0

    def feed(self, data: str) -> None:
        # getpos() counts lines by "\n" alone.
        base = self._fed
        self._fed += len(data)
        newline = data.find("\n")
        while newline >= 0:
            self._line_starts.append(base + newline + 1)
            newline = data.find("\n", newline + 1)
        super().feed(data)

    def _add(self, kind: str, payload: object = None) -> None:
        line, column = self.getpos()
        self.tokens.append((kind, self._line_starts[line - 1] + column, payload))

    def handle_starttag(self, tag: str, attrs: Attributes) -> None:
        self._add("start", (tag, attrs))

    def handle_startendtag(self, tag: str, attrs: Attributes) -> None:
        self._add("startend", (tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self._add("end", tag)

    def handle_data(self, data: str) -> None:
        self._add("data", data)

    def handle_entityref(self, name: str) -> None:
        self._add("entity")

    def handle_charref(self, name: str) -> None:
        self._add("entity")

    def handle_comment(self, data: str) -> None:
        self._add("other")

    def handle_decl(self, decl: str) -> None:
        self._add("other")

    def unknown_decl(self, data: str) -> None:
        self._add("other")

    def handle_pi(self, data: str) -> None:
        self._add("other")


def _flips(name: str, value: str | None) -> bool:
    value = (value or "").strip().lower()
    if name == "dir":
        return value == "rtl"
    return name in ("lang", "xml:lang") and (value == "ar" or value.startswith("ar-"))


def flip_direction(raw: str, attrs: Attributes) -> str:
    """The start tag with ``dir="rtl"`` → ``ltr`` and ``lang="ar"``/``ar-*`` → ``en``,
    everything else (quotes, spacing, other attributes) as written."""
    if not any(_flips(name, value) for name, value in attrs):
        return raw
    out: list[str] = []
    written = 0
    for name, value_start, value_end in _attribute_values(raw):
        if _flips(name, html.unescape(raw[value_start:value_end])):
            out.append(raw[written:value_start])
            out.append("ltr" if name == "dir" else "en")
            written = value_end
    out.append(raw[written:])
    return "".join(out)


def _attribute_values(raw: str) -> list[tuple[str, int, int]]:
    """(lower-case name, value start, value end) of each attribute with a value in a start
    tag, scanned as :class:`HTMLParser` reads attributes."""
    found: list[tuple[str, int, int]] = []
    n = len(raw)
    i = 1
    while i < n and raw[i] not in HTML_SPACE + "/>":
        i += 1  # the tag name
    while i < n:
        while i < n and (raw[i] in HTML_SPACE or raw[i] == "/"):
            i += 1
        if i >= n or raw[i] == ">":
            break
        name_start = i
        i += 1
        while i < n and raw[i] not in HTML_SPACE + "/=>":
            i += 1
        name = raw[name_start:i].lower()
        j = i
        while j < n and raw[j] in HTML_SPACE:
            j += 1
        if j >= n or raw[j] != "=":
            continue
        while j < n and raw[j] == "=":
            j += 1
        while j < n and raw[j] in HTML_SPACE:
            j += 1
        if j < n and raw[j] in "'\"":
            close = raw.find(raw[j], j + 1)
            close = n if close < 0 else close
            found.append((name, j + 1, close))
            i = close + 1
        else:
            value_end = j
            while value_end < n and raw[value_end] not in HTML_SPACE + ">":
                value_end += 1
            found.append((name, j, value_end))
            i = value_end
    return found
