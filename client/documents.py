"""Documents of any size: cut into requests under the server's limits, joined back as one.

A document over the server's ``max_characters`` or ``max_sentences`` is cut between
sentences, at a line break wherever one is near (a paragraph ends there anyway, so the
model sees what one big request would give it), else between two sentences of one long
paragraph. The pieces travel over one TranslateStream and their translations are joined
with the separators one big request would put between them (the source's own line
breaks between paragraphs, one space inside a paragraph), every span rebased into the
whole document and the joined translation.

The sentence count of a piece is counted with the server's own segmentation without
glossary hits; hits only ever join sentences, so the count is an upper bound and a piece
never goes over the limit. Two differences from a single request remain possible: a name
wrapped over a single line break exactly where a piece is cut is read as two parts, and
document terms (one rendering per name) are chosen within each piece, so two pieces may
give one name two renderings; the joined result lists every piece's document terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tarjama.glossary.normalize import LINE_BREAK
from tarjama.results import (
    GlossaryRef,
    Limits,
    SentencePair,
    TranslateStats,
    Translation,
    merge_document_terms,
)
from tarjama.server.translate.markup import extract
from tarjama.server.translate.segment import Sentence, segment

# The pipeline's sentence length (Pipeline.max_sentence_chars): the same count as the server.
SENTENCE_CHARS = 400
UTF8_MAX_BYTES = 4


@dataclass(frozen=True)
class Piece:
    """``text[start:end]`` is sent as one request; ``sentences`` is at most its count
    (the count itself where no glossary hit joins sentences)."""

    start: int
    end: int
    sentences: int


def plan_pieces(text: str, limits: Limits) -> list[Piece]:
    """The requests ``text`` needs: one when it fits the limits, else pieces that do. A
    server that states no limit (0) gets the whole text."""
    if not (limits.max_characters and limits.max_sentences and limits.max_message_bytes):
        return [Piece(0, len(text), len(segment(text, max_chars=SENTENCE_CHARS)))]
    # A code point is at most 4 bytes of UTF-8: a piece under this also fits the message.
    characters = min(limits.max_characters, limits.max_message_bytes // UTF8_MAX_BYTES)
    limits = replace(limits, max_characters=characters)
    sentences = segment(text, max_chars=min(SENTENCE_CHARS, characters))
    if len(text) <= limits.max_characters and len(sentences) <= limits.max_sentences:
        return [Piece(0, len(text), len(sentences))]
    pieces: list[Piece] = []
    first = 0
    while first < len(sentences):
        end = first + 1  # sentences[first:end] fit in one request
        paragraph_cut = None
        while end < len(sentences) and _fits(sentences, first, end, limits):
            if sentences[end].paragraph != sentences[end - 1].paragraph:
                paragraph_cut = end
            end += 1
        mid_paragraph = (
            end < len(sentences) and sentences[end].paragraph == sentences[end - 1].paragraph
        )
        # Mid-paragraph: go back to the last paragraph start, unless that would make a
        # piece of less than half the room (which would also cost a rescan).
        if (
            mid_paragraph
            and paragraph_cut is not None
            and paragraph_cut - first >= (end - first) // 2
        ):
            cut = paragraph_cut
        else:
            cut = end
        pieces.append(Piece(sentences[first].start, sentences[cut - 1].end, cut - first))
        first = cut
    return pieces


def planned_sentences(pieces: Sequence[Piece]) -> int:
    """The sentences of a planned document, as the server will count them (at most)."""
    return sum(piece.sentences for piece in pieces)


def page_sentences(page: str) -> int:
    """The sentences of an HTML page's text, as the server will count them (at most)."""
    return len(segment(extract(page).text, max_chars=SENTENCE_CHARS))


def _fits(sentences: Sequence[Sentence], first: int, end: int, limits: Limits) -> bool:
    """Whether sentences[first:end + 1] fit in one request."""
    return (
        sentences[end].end - sentences[first].start <= limits.max_characters
        and end + 1 - first <= limits.max_sentences
    )


def join_translations(
    text: str, pieces: Sequence[Piece], translations: Sequence[Translation], request_id: str
) -> Translation:
    """One Translation of ``text`` from the translations of its pieces, in order."""
    parts: list[str] = []
    length = 0
    pairs: list[SentencePair] = []
    previous_end: int | None = None
    for piece, translation in zip(pieces, translations, strict=True):
        if previous_end is not None:
            breaks = "".join(LINE_BREAK.findall(text, previous_end, piece.start))
            separator = breaks or (" " if length and translation.translation else "")
            parts.append(separator)
            length += len(separator)
        pairs.extend(_shifted(pair, piece.start, length) for pair in translation.sentences)
        parts.append(translation.translation)
        length += len(translation.translation)
        previous_end = piece.end
    return Translation(
        request_id=request_id,
        translation="".join(parts),
        sentences=tuple(pairs),
        model=translations[0].model if translations else "",
        glossaries=_glossaries(translations),
        stats=_stats(text, translations),
        document_terms=merge_document_terms([t.document_terms for t in translations]),
    )


def _shifted(pair: SentencePair, source: int, target: int) -> SentencePair:
    return replace(
        pair,
        source_span=pair.source_span.shifted(source),
        target_span=pair.target_span.shifted(target),
        term_hits=tuple(hit.shifted(source, target) for hit in pair.term_hits),
        alignment=tuple(link.shifted(source, target) for link in pair.alignment),
    )


def _glossaries(translations: Sequence[Translation]) -> tuple[GlossaryRef, ...]:
    """The glossary versions used, once each, in first-use order: a glossary updated while
    the pieces were translated shows both versions, so a reader can tell."""
    seen: dict[GlossaryRef, None] = {}
    for translation in translations:
        seen.update(dict.fromkeys(translation.glossaries))
    return tuple(seen)


def _stats(text: str, translations: Sequence[Translation]) -> TranslateStats:
    def total(field: str) -> int:
        return sum(getattr(t.stats, field) for t in translations)

    return TranslateStats(
        source_characters=len(text),
        sentences=total("sentences"),
        translated_sentences=total("translated_sentences"),
        cached_sentences=total("cached_sentences"),
        term_hits=total("term_hits"),
        elapsed_ms=total("elapsed_ms"),
    )
