"""A request in HTML: the page's text through the ordinary pipeline, the markup kept.

:func:`translate_html` extracts the page's text (:mod:`.markup`), translates it with the
word alignment on where an inline tag sits inside a block's text (it places such tags; a
page whose inline tags all wrap whole blocks needs none), rebuilds the page around the
English, and moves every span of the result from the extracted text to the HTML: source
spans into the page as sent, target spans into the page returned. ``SentencePair.source``
and ``target`` stay the sentences' plain text, which is what a reader quotes; the spans
say where they sit in the markup. Alignment is returned only when the request asked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from tarjama.glossary.matcher import Matcher
from tarjama.results import SentencePair, Span, WordAlignment
from tarjama.server.translate.assemble import DocumentTranslation
from tarjama.server.translate.engine import BatchTranslator
from tarjama.server.translate.markup import (
    MarkupDocument,
    extract,
    needs_alignment,
    rebuild_mapped,
)
from tarjama.server.translate.options import PipelineOptions
from tarjama.server.translate.pipeline import Pipeline
from tarjama.server.translate.segment import Sentence

HTML = "text/html"
PLAIN = "text/plain"
MIME_TYPES = (PLAIN, HTML)

SpanMap = Callable[[int, int], tuple[int, int]]


def translate_html(
    pipeline: Pipeline,
    page: str,
    *,
    translator: BatchTranslator,
    matcher: Matcher,
    options: PipelineOptions,
    document: MarkupDocument | None = None,
    sentences: Sequence[Sentence] | None = None,
) -> DocumentTranslation:
    """``document`` and ``sentences``: the page's extraction and its text's segmentation
    when the caller made them already (for its size checks)."""
    document = document or extract(page)
    # The word alignment costs a decode of its own where nothing else asks for it (the
    # first attention row, see the engine), so it is asked for only where a tag is placed
    # by it.
    if needs_alignment(document):
        options_used = replace(options, include_alignment=True)
    else:
        options_used = options
    text = pipeline.translate(
        document.text,
        translator=translator,
        matcher=matcher,
        options=options_used,
        sentences=sentences,
    )
    pairs = [_link(p.source_span, p.target_span) for p in text.sentences]
    links = [_link(a.source, a.target) for p in text.sentences for a in p.alignment]
    rebuilt = rebuild_mapped(document, text.translation, pairs, links)
    keep_alignment = options.include_alignment
    mapped = tuple(
        _mapped(pair, document.html_span, rebuilt.html_span, keep_alignment)
        for pair in text.sentences
    )
    return replace(text, translation=rebuilt.html, sentences=mapped)


def _link(source: Span, target: Span) -> tuple[int, int, int, int]:
    return (source.start, source.end, target.start, target.end)


def _span(span: Span, where: SpanMap) -> Span:
    return Span(*where(span.start, span.end))


def _mapped(pair: SentencePair, source: SpanMap, target: SpanMap, alignment: bool) -> SentencePair:
    return replace(
        pair,
        source_span=_span(pair.source_span, source),
        target_span=_span(pair.target_span, target),
        term_hits=tuple(
            replace(
                hit,
                source_span=_span(hit.source_span, source),
                target_span=_span(hit.target_span, target),
            )
            for hit in pair.term_hits
        ),
        skipped_terms=tuple(
            replace(skipped, source_span=_span(skipped.source_span, source))
            for skipped in pair.skipped_terms
        ),
        alignment=tuple(
            WordAlignment(_span(link.source, source), _span(link.target, target))
            for link in pair.alignment
        )
        if alignment
        else (),
    )
