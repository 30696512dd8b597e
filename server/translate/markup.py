"""HTML in, HTML out: the text of a page translated, its markup kept.

Two steps around the ordinary text pipeline, independent of gRPC::

    document = extract(html)                  # MarkupDocument: .text is plain text
    result = pipeline.translate(document.text, ...)
    output = rebuild(document, result.translation, pairs, alignment)

**extract(html) -> MarkupDocument.** ``document.text`` is the page's translatable text:
one block per run of text between block boundaries (the start or end of ``p``, ``div``,
``h1``–``h6``, ``li``, ``td``, ``th``, ``blockquote``, ``title``, ``br``, ``button`` …;
see ``BLOCK_ELEMENTS``), blocks joined with ``"\\n\\n"`` so that no sentence crosses
one. Inside a block, entities are decoded and each run of HTML whitespace is one space
(as a browser shows it); whitespace at a block's edges is kept verbatim outside the text.
Each inline element (``b``, ``i``, ``a``, ``span``, ``em``, ``strong`` and any element
not listed as a block) is recorded with the code-point offsets in ``text`` where it
opened and closed (:class:`InlineElement`, a tree per :class:`Block`).

Left untouched (not in the text, written back verbatim, ``dir``/``lang`` included):
``script``, ``style``, ``pre``, ``textarea``, ``template`` (which also end a block),
``code``, ``kbd``, ``samp``, ``var``, ``svg``, ``math``, and any element with
``translate="no"`` or a ``notranslate`` class (a block element among them ends a block;
an inline one stays inside its sentence as a point, like an ``img`` or a comment).
Comments, the doctype, tags and their attributes are kept verbatim, except that
``dir="rtl"`` becomes ``ltr`` and ``lang``/``xml:lang`` ``ar`` or ``ar-*`` become ``en``.
Attributes are never translated: ``alt`` and ``title`` keep their Arabic. (They have no
sentence context and no place for alignment; translating them means one more block per
attribute, which this version does not do.)

Nothing of the input is lost: unclosed inline elements are closed where HTML implies
(at the end of the enclosing block element, or of the document) with a synthesized end
tag; a stray end tag is kept where it was; an inline element that spans block boundaries
(``<b>a<br>b</b>``) keeps its one start and one end tag. ``html_span(start, end)`` maps a
span of ``text`` to the HTML source (for sentence pairs and term hits).

**rebuild(document, translation, sentence_pairs, word_alignment) -> str.** The page with
each block's text replaced by its translation. ``sentence_pairs`` and ``word_alignment``
are :data:`SpanLink` tuples ``(source_start, source_end, target_start, target_end)`` in
code points into ``document.text`` and ``translation`` (e.g. each pipeline
``SentencePair``'s spans, and every ``WordAlignment`` of every pair). A block's
translation is the target text of the sentences whose source lies in it. Each inline
element goes around the target words aligned to the source words it wrapped: a whole
sentence wrapped → that sentence's whole translation; no alignment → the same relative
position, widened to whole words; never dropped, never empty while a word is left for
it, always nested as in the source, so the output is balanced whenever the input was.
Translated text is re-encoded with ``&amp;``, ``&lt;``, ``&gt;``, ``&nbsp;``.
``rebuild_mapped`` also returns where each code point of ``translation`` landed in the
output (:meth:`RebuiltHtml.html_span`). ``needs_alignment(document)`` says whether the
word alignment is read at all: not when every inline element wraps a whole block.

With the text as its own translation and an identity alignment, the output is the input
with ``dir``/``lang`` flipped, up to collapsed whitespace inside blocks, entities other
than those four written as characters, and synthesized end tags.

Parsing is the standard library's :mod:`html.parser` as a tokeniser
(:mod:`~tarjama.server.translate.markup_tokens`; no new dependency): it is lenient, gives
each token's exact position, and so keeps every character of the input verbatim. Modules:
``markup_tokens`` (tokens, the ``dir``/``lang`` rewrite), ``markup_parse`` (extract, the
document types), ``markup_rebuild`` (rebuild).
"""

from tarjama.server.translate.markup_parse import (
    BLOCK_ELEMENTS,
    BLOCK_SEPARATOR,
    UNTOUCHED_BLOCK_ELEMENTS,
    UNTOUCHED_ELEMENTS,
    Block,
    InlineElement,
    MarkupDocument,
    extract,
)
from tarjama.server.translate.markup_rebuild import (
    RebuiltHtml,
    SpanLink,
    needs_alignment,
    rebuild,
    rebuild_mapped,
)

__all__ = [
    "BLOCK_ELEMENTS",
    "BLOCK_SEPARATOR",
    "UNTOUCHED_BLOCK_ELEMENTS",
    "UNTOUCHED_ELEMENTS",
    "Block",
    "InlineElement",
    "MarkupDocument",
    "RebuiltHtml",
    "SpanLink",
    "extract",
    "needs_alignment",
    "rebuild",
    "rebuild_mapped",
]
