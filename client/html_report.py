"""A translated document as one self-contained HTML page, sentence pairs side by side.

English on the left, Arabic on the right (``dir="rtl"``, ``lang="ar"``); glossary terms
are highlighted in both, and hovering a sentence or a term highlights its counterpart.
With word alignments in the translation (``--alignment``), hovering a word highlights the
words aligned to it. A term found but not applied (skipped, with its reason) is marked in
the Arabic with a dashed underline. Inline CSS and JS from html_report.html, no external
resources; every piece of text from the document or the server is escaped. A sentence
that needs review carries a ⚑ marker (its reasons in the tooltip), and a list at the top
orders the flagged sentences least confident first, each linking to its pair. The
document terms (names the server gave one rendering across the document) are listed at
the top with the variants the model wrote, as ``-t`` arguments ready to reuse, and their
hits are underlined dotted.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from importlib.resources import files
from string import Template

from tarjama.client.cli import counted
from tarjama.results import DOCUMENT_METHOD, SentencePair, Translation

_TEMPLATE = Template(files("tarjama.client").joinpath("html_report.html").read_text("utf-8"))


@dataclass(frozen=True)
class _Mark:
    """A highlighted stretch of one sentence, in code points relative to the sentence."""

    start: int
    end: int
    term_ids: tuple[str, ...]
    tooltip: str
    css_class: str = "term"


@dataclass(frozen=True)
class _Word:
    """A word of one sentence that alignment links (``link_ids``) join to the other side."""

    start: int
    end: int
    link_ids: tuple[str, ...]


def render_html(source_text: str, translation: Translation, *, title: str) -> str:
    """The page for ``translation`` of ``source_text`` (the text that was sent)."""
    paragraphs: list[list[str]] = []
    previous_end: int | None = None
    for index, pair in enumerate(translation.sentences):
        gap = (
            ""
            if previous_end is None
            else translation.translation[previous_end : pair.target_span.start]
        )
        if previous_end is None or "\n" in gap:
            paragraphs.append([])
        paragraphs[-1].append(_pair_html(index, pair))
        previous_end = pair.target_span.end
    body = "\n".join(
        '  <section class="paragraph">\n' + "\n".join(rows) + "\n  </section>"
        for rows in paragraphs
    )
    return _TEMPLATE.substitute(
        title=escape(title),
        meta=escape(_meta_line(source_text, translation)),
        review=_review_list(translation),
        names=_document_terms(translation),
        body=body,
    )


def _review_list(translation: Translation) -> str:
    """The sentences that need review, least confident first, each linking to its pair."""
    flagged = sorted(
        (pair.confidence, index, pair)
        for index, pair in enumerate(translation.sentences)
        if pair.needs_review
    )
    if not flagged:
        return ""
    items = "\n".join(
        f'      <li><a href="#pair-{index}">{confidence:.2f}</a> '
        f"{escape(_reasons_text(pair))}: {escape(pair.target)}</li>"
        for confidence, index, pair in flagged
    )
    return (
        f'  <section class="review"><h2>Review first ({len(flagged)}, least confident '
        f"first)</h2>\n    <ol>\n{items}\n    </ol>\n  </section>"
    )


def _document_terms(translation: Translation) -> str:
    """The names given one rendering across the document, with what the model wrote."""
    if not translation.document_terms:
        return ""
    rows = "\n".join(
        f'      <tr><td dir="rtl" lang="ar">{escape(term.source_term)}</td>'
        f"<td>{escape(term.target_term)}</td><td>{term.occurrences}</td>"
        f"<td>{escape(', '.join(f'{v.english} ({v.count})' for v in term.variants))}</td></tr>"
        for term in translation.document_terms
    )
    return (
        f'  <section class="names"><h2>Document terms ({len(translation.document_terms)})</h2>\n'
        "    <p>Names the model wrote in more than one way, given the rendering it wrote most "
        "(add them to a glossary to keep them everywhere).</p>\n"
        "    <table>\n      <tr><th>Arabic</th><th>English</th><th>Places</th>"
        f"<th>The model wrote</th></tr>\n{rows}\n    </table>\n  </section>"
    )


def _reasons_text(pair: SentencePair) -> str:
    return ", ".join(dict.fromkeys(reason.code.replace("_", " ") for reason in pair.review_reasons))


def _meta_line(source_text: str, translation: Translation) -> str:
    parts = [f"model {translation.model}" if translation.model else "model unknown"]
    if translation.glossaries:
        names = ", ".join(f"{ref.name} v{ref.version}" for ref in translation.glossaries)
        parts.append(f"glossaries {names}")
    hits = sum(len(pair.term_hits) for pair in translation.sentences)
    parts.append(
        f"{counted(len(translation.sentences), 'sentence')}, {counted(hits, 'glossary term')}"
    )
    parts.append(f"{len(source_text):,} characters")
    if translation.request_id:
        parts.append(f"request {translation.request_id}")
    return " · ".join(parts)


def _pair_html(index: int, pair: SentencePair) -> str:
    source_marks, target_marks = _marks(index, pair)
    copied = pair.score == 0 and pair.source == pair.target
    classes = "pair copied" if copied else "pair"
    tooltip = "copied through: nothing to translate" if copied else f"score {pair.score:.2f}"
    marker = ""
    if pair.needs_review:
        classes += " needs-review"
        details = "; ".join(f"{reason.code}: {reason.detail}" for reason in pair.review_reasons)
        tooltip += f", confidence {pair.confidence:.2f}, review: {details}"
        marker = f'<span class="flag" title="{escape(_reasons_text(pair))}">⚑</span> '
    source_words, target_words = _aligned_words(index, pair)
    english = _highlight(pair.target, target_marks, target_words)
    arabic = _highlight(pair.source, source_marks, source_words)
    return (
        f'    <div class="{classes}" id="pair-{index}" data-pair="{index}" '
        f'title="{escape(tooltip)}">\n'
        f'      <p class="en" lang="en" dir="ltr">{marker}{english}</p>\n'
        f'      <p class="ar" lang="ar" dir="rtl">{arabic}</p>\n'
        "    </div>"
    )


def _marks(index: int, pair: SentencePair) -> tuple[list[_Mark], list[_Mark]]:
    """The term highlights of the Arabic and of the English sentence."""
    source: dict[tuple[int, int], list[tuple[str, str, str]]] = {}
    target: dict[tuple[int, int], list[tuple[str, str, str]]] = {}
    for number, hit in enumerate(pair.term_hits):
        term_id = f"t{index}-{number}"
        document = hit.method == DOCUMENT_METHOD
        origin = hit.glossary or ("document term" if document else "inline term")
        tooltip = f"{origin}: {hit.source_term} → {hit.target_term} ({hit.method})"
        for spans, span, offset in (
            (source, hit.source_span, pair.source_span.start),
            (target, hit.target_span, pair.target_span.start),
        ):
            spans.setdefault((span.start - offset, span.end - offset), []).append(
                (term_id, tooltip, "term document" if document else "term")
            )
    skipped = [
        _Mark(
            hit.source_span.start - pair.source_span.start,
            hit.source_span.end - pair.source_span.start,
            (),
            f"{hit.glossary or 'inline term'}: {hit.source_term} → {hit.target_term} "
            f"not applied: {hit.reason}",
            "skipped",
        )
        for hit in pair.skipped_terms
    ]
    source_marks = _non_overlapping(source, len(pair.source))
    for mark in skipped:
        inside = 0 <= mark.start < mark.end <= len(pair.source)
        if inside and not any(_overlaps(mark, other) for other in source_marks):
            source_marks.append(mark)
    source_marks.sort(key=lambda mark: mark.start)
    return source_marks, _non_overlapping(target, len(pair.target))


def _overlaps(a: _Mark | _Word, b: _Mark | _Word) -> bool:
    return a.start < b.end and b.start < a.end


def _aligned_words(index: int, pair: SentencePair) -> tuple[list[_Word], list[_Word]]:
    """The words of each side with the ids of the alignment links that join them."""
    source: dict[tuple[int, int], list[str]] = {}
    target: dict[tuple[int, int], list[str]] = {}
    for number, link in enumerate(pair.alignment):
        link_id = f"a{index}-{number}"
        for words, span, offset in (
            (source, link.source, pair.source_span.start),
            (target, link.target, pair.target_span.start),
        ):
            words.setdefault((span.start - offset, span.end - offset), []).append(link_id)
    return _words(source, len(pair.source)), _words(target, len(pair.target))


def _words(spans: dict[tuple[int, int], list[str]], length: int) -> list[_Word]:
    words: list[_Word] = []
    for (start, end), ids in sorted(spans.items()):
        if 0 <= start < end <= length and not (words and start < words[-1].end):
            words.append(_Word(start, end, tuple(ids)))
    return words


def _non_overlapping(
    spans: dict[tuple[int, int], list[tuple[str, str, str]]], length: int
) -> list[_Mark]:
    # Hits that share a span (one rendering placed for a term written twice) share a mark;
    # a span outside the sentence or crossing a kept one cannot be drawn and is left out.
    marks: list[_Mark] = []
    for (start, end), entries in sorted(spans.items()):
        if not 0 <= start < end <= length or (marks and start < marks[-1].end):
            continue
        ids = tuple(term_id for term_id, _, _ in entries)
        tooltip = "\n".join(dict.fromkeys(tip for _, tip, _ in entries))
        marks.append(_Mark(start, end, ids, tooltip, entries[0][2]))
    return marks


def _highlight(sentence: str, marks: list[_Mark], words: list[_Word]) -> str:
    """The sentence escaped, with its marks; aligned words outside the marks get a span."""
    pieces: list[str] = []
    position = 0
    spans: list[_Mark | _Word] = [*marks]
    spans += [word for word in words if not any(_overlaps(word, mark) for mark in marks)]
    for span in sorted(spans, key=lambda span: span.start):
        pieces.append(escape(sentence[position : span.start]))
        text = escape(sentence[span.start : span.end])
        if isinstance(span, _Word):
            pieces.append(f'<span class="w" data-links="{" ".join(span.link_ids)}">{text}</span>')
        elif span.css_class == "skipped":
            pieces.append(f'<mark class="skipped" title="{escape(span.tooltip)}">{text}</mark>')
        else:
            pieces.append(
                f'<mark class="{span.css_class}" data-term="{" ".join(span.term_ids)}" '
                f'title="{escape(span.tooltip)}">{text}</mark>'
            )
        position = span.end
    pieces.append(escape(sentence[position:]))
    return "".join(pieces)
