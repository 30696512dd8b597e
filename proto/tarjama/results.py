"""The results of the tarjama API as dataclasses, one definition for client and server.

The fields mirror ``proto/tarjama/v1/translator.proto`` (read it for their meaning); spans
are half-open code-point ranges, so ``text[span.start:span.end]`` is what they name. This
module imports only the standard library, so the client stays light; :mod:`tarjama.wire`
converts these to and from the ``tarjama.v1`` messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

# TermHit.method of a document term's hits (DocumentTerm)
DOCUMENT_METHOD = "document"


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def of(self, text: str) -> str:
        """The part of ``text`` this span names."""
        return text[self.start : self.end]

    def shifted(self, offset: int) -> Span:
        return Span(self.start + offset, self.end + offset)


@dataclass(frozen=True)
class TermHit:
    glossary: str  # "" for a term given with the request
    source_term: str
    target_term: str
    source_span: Span  # into the request text
    target_span: Span  # into Translation.translation
    # "model", "inline", "aligned", "document" (a document term), "prefix" (older servers),
    # or one added later
    method: str

    def shifted(self, source_offset: int, target_offset: int) -> TermHit:
        return replace(
            self,
            source_span=self.source_span.shifted(source_offset),
            target_span=self.target_span.shifted(target_offset),
        )


@dataclass(frozen=True)
class SkippedTerm:
    """A term found in the source and not applied; ``reason`` is for people to read."""

    glossary: str
    source_term: str
    target_term: str
    source_span: Span  # into the request text
    reason: str

    def shifted(self, source_offset: int) -> SkippedTerm:
        return replace(self, source_span=self.source_span.shifted(source_offset))


@dataclass(frozen=True)
class WordAlignment:
    source: Span  # into the request text
    target: Span  # into Translation.translation

    def shifted(self, source_offset: int, target_offset: int) -> WordAlignment:
        return WordAlignment(self.source.shifted(source_offset), self.target.shifted(target_offset))


@dataclass(frozen=True)
class ReviewReason:
    """Why a sentence needs review: a ``code`` for programs, a ``detail`` for people."""

    code: str  # "low_score", "term_not_copied", "skipped_term", "length_ratio", ...
    detail: str = ""


@dataclass(frozen=True)
class SentencePair:
    source: str
    target: str
    source_span: Span
    target_span: Span
    term_hits: tuple[TermHit, ...] = ()
    alignment: tuple[WordAlignment, ...] = ()
    score: float = 0.0
    unconstrained_target: str = ""
    cached: bool = False
    skipped_terms: tuple[SkippedTerm, ...] = ()
    # 0 (check it) to 1, see tarjama.server.translate.confidence; 0 from a server before it
    confidence: float = 0.0
    needs_review: bool = False
    review_reasons: tuple[ReviewReason, ...] = ()


@dataclass(frozen=True)
class Rendering:
    english: str
    count: int


@dataclass(frozen=True)
class DocumentTerm:
    """A name the document got one rendering for (``TermHit.method`` "document"): promote
    it to a glossary with ``Term(sources=(source_term,), target=target_term)``."""

    source_term: str  # the Arabic as the document writes it, without a proclitic
    target_term: str  # the rendering placed at every occurrence
    occurrences: int  # its term hits
    variants: tuple[Rendering, ...]  # what the model wrote, most frequent first


def merge_document_terms(lists: Sequence[Sequence[DocumentTerm]]) -> tuple[DocumentTerm, ...]:
    """The document terms of a document's pieces, each (Arabic, rendering) once, in order
    of first appearance, occurrences and variant counts added up. Pieces are harmonised
    apart: the same Arabic may carry two renderings."""
    merged: dict[tuple[str, str], tuple[int, Counter[str]]] = {}
    for terms in lists:
        for term in terms:
            count, variants = merged.get((term.source_term, term.target_term), (0, Counter()))
            variants.update({variant.english: variant.count for variant in term.variants})
            merged[(term.source_term, term.target_term)] = (count + term.occurrences, variants)
    return tuple(
        DocumentTerm(
            source, target, count, tuple(Rendering(e, n) for e, n in variants.most_common())
        )
        for (source, target), (count, variants) in merged.items()
    )


@dataclass(frozen=True)
class GlossaryRef:
    name: str
    version: int


@dataclass(frozen=True)
class TranslateStats:
    source_characters: int = 0
    sentences: int = 0
    translated_sentences: int = 0
    cached_sentences: int = 0
    term_hits: int = 0
    elapsed_ms: int = 0


@dataclass(frozen=True)
class Translation:
    """One translated document: the English text and its aligned sentence pairs."""

    request_id: str
    translation: str
    sentences: tuple[SentencePair, ...]
    model: str
    glossaries: tuple[GlossaryRef, ...] = ()
    stats: TranslateStats = TranslateStats()
    # names given one rendering across the document (TranslateOptions.no_document_terms)
    document_terms: tuple[DocumentTerm, ...] = ()


@dataclass(frozen=True)
class Document:
    """One document of a stream; ``request_id`` is echoed in its Translation."""

    text: str
    request_id: str = ""


@dataclass(frozen=True)
class GlossaryInfo:
    """A glossary as ListGlossaries describes it: everything but its terms."""

    name: str
    version: int
    description: str
    term_count: int
    update_time: datetime | None
    source_language: str = "ar"
    target_language: str = "en"
    # Why the server's file of this glossary does not load; then `version` is the last good
    # version, still serving, or 0 when none ever loaded (not served).
    load_error: str = ""


@dataclass(frozen=True)
class Limits:
    max_characters: int
    max_sentences: int
    max_inline_terms: int
    max_message_bytes: int
    max_beam_size: int


@dataclass(frozen=True)
class ModelInfo:
    name: str
    source_language: str
    target_language: str
    architecture: str
    compute_type: str
    device: str
    default_beam_size: int
    supports_alignment: bool
    source_url: str
    sha256: str
    server_version: str
    default_glossaries: tuple[str, ...]
    limits: Limits


class HealthStatus(StrEnum):
    """The answer of the standard ``grpc.health.v1`` check."""

    UNKNOWN = "UNKNOWN"
    SERVING = "SERVING"
    NOT_SERVING = "NOT_SERVING"
    SERVICE_UNKNOWN = "SERVICE_UNKNOWN"
