"""The pipeline's results, and how sentence results become one document translation.

A sentence is translated (or fetched from the cache) as a :class:`SentenceResult` whose
spans are relative to the sentence and its own translation, so that the same sentence at
another offset, in another document, reuses it. :func:`assemble` joins the translations
(sentences of a paragraph with one space, paragraphs with the source's own line breaks)
and rebases every span into the request text and the joined translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tarjama.results import (
    DocumentTerm,
    ReviewReason,
    SentencePair,
    SkippedTerm,
    Span,
    TermHit,
    WordAlignment,
)
from tarjama.server.translate.segment import LINE_BREAK, Sentence


@dataclass(frozen=True)
class DocumentTranslation:
    translation: str
    sentences: tuple[SentencePair, ...]
    translated_sentences: int  # sent to the model: neither cached nor copied through
    cached_sentences: int
    document_terms: tuple[DocumentTerm, ...] = ()


@dataclass(frozen=True)
class SentenceResult:
    """One sentence's translation with spans relative to the sentence and ``target``."""

    target: str
    score: float
    term_hits: tuple[TermHit, ...] = ()
    alignment: tuple[WordAlignment, ...] = ()
    unconstrained_target: str = ""
    skipped_terms: tuple[SkippedTerm, ...] = ()
    confidence: float = 1.0  # set by tarjama.server.translate.confidence.assess
    review_reasons: tuple[ReviewReason, ...] = ()


def assemble(
    text: str, sentences: Sequence[Sentence], results: Sequence[tuple[SentenceResult, bool]]
) -> tuple[str, tuple[SentencePair, ...]]:
    """The joined translation and the pairs; ``results[i]`` is (result, cached) of
    ``sentences[i]``."""
    parts: list[str] = []
    length = 0
    pairs: list[SentencePair] = []
    previous: Sentence | None = None
    paragraph_written = False  # some sentence of the current paragraph has a translation
    for sentence, (result, cached) in zip(sentences, results, strict=True):
        separator = ""
        if previous is not None and previous.paragraph != sentence.paragraph:
            separator = "".join(LINE_BREAK.findall(text, previous.end, sentence.start)) or "\n"
            paragraph_written = False
        elif paragraph_written and result.target:
            separator = " "
        parts.append(separator)
        length += len(separator)
        pairs.append(_pair(text, sentence, result, cached, length))
        parts.append(result.target)
        length += len(result.target)
        paragraph_written = paragraph_written or bool(result.target)
        previous = sentence
    return "".join(parts), tuple(pairs)


def _pair(
    text: str, sentence: Sentence, result: SentenceResult, cached: bool, target_start: int
) -> SentencePair:
    source_start = sentence.start
    return SentencePair(
        source=text[sentence.start : sentence.end],
        target=result.target,
        source_span=Span(sentence.start, sentence.end),
        target_span=Span(target_start, target_start + len(result.target)),
        term_hits=tuple(hit.shifted(source_start, target_start) for hit in result.term_hits),
        alignment=tuple(link.shifted(source_start, target_start) for link in result.alignment),
        score=result.score,
        unconstrained_target=result.unconstrained_target,
        cached=cached,
        skipped_terms=tuple(skip.shifted(source_start) for skip in result.skipped_terms),
        confidence=result.confidence,
        needs_review=bool(result.review_reasons),
        review_reasons=result.review_reasons,
    )
