"""The one conversion between :mod:`tarjama.results` (and glossaries) and ``tarjama.v1``.

The client and the server both convert; one module keeps the two sides of the wire
reading and writing the same fields the same way.
"""

from __future__ import annotations

from datetime import UTC

from tarjama.glossary.model import Glossary, Term
from tarjama.results import (
    DocumentTerm,
    GlossaryInfo,
    GlossaryRef,
    Limits,
    ModelInfo,
    Rendering,
    ReviewReason,
    SentencePair,
    SkippedTerm,
    Span,
    TermHit,
    TranslateStats,
    Translation,
    WordAlignment,
)
from tarjama.v1 import translator_pb2 as pb


def span_from_proto(message: pb.Span) -> Span:
    return Span(message.start, message.end)


def span_to_proto(span: Span) -> pb.Span:
    return pb.Span(start=span.start, end=span.end)


def sentence_from_proto(pair: pb.SentencePair) -> SentencePair:
    return SentencePair(
        source=pair.source,
        target=pair.target,
        source_span=span_from_proto(pair.source_span),
        target_span=span_from_proto(pair.target_span),
        term_hits=tuple(
            TermHit(
                glossary=hit.glossary,
                source_term=hit.source_term,
                target_term=hit.target_term,
                source_span=span_from_proto(hit.source_span),
                target_span=span_from_proto(hit.target_span),
                method=hit.method,
            )
            for hit in pair.term_hits
        ),
        alignment=tuple(
            WordAlignment(span_from_proto(link.source), span_from_proto(link.target))
            for link in pair.alignment
        ),
        score=pair.score,
        unconstrained_target=pair.unconstrained_target,
        cached=pair.cached,
        skipped_terms=tuple(
            SkippedTerm(
                glossary=skip.glossary,
                source_term=skip.source_term,
                target_term=skip.target_term,
                source_span=span_from_proto(skip.source_span),
                reason=skip.reason,
            )
            for skip in pair.skipped_terms
        ),
        confidence=pair.confidence,
        needs_review=pair.needs_review,
        review_reasons=tuple(
            ReviewReason(reason.code, reason.detail) for reason in pair.review_reasons
        ),
    )


def sentence_to_proto(pair: SentencePair) -> pb.SentencePair:
    return pb.SentencePair(
        source=pair.source,
        target=pair.target,
        source_span=span_to_proto(pair.source_span),
        target_span=span_to_proto(pair.target_span),
        term_hits=[
            pb.TermHit(
                glossary=hit.glossary,
                source_term=hit.source_term,
                target_term=hit.target_term,
                source_span=span_to_proto(hit.source_span),
                target_span=span_to_proto(hit.target_span),
                method=hit.method,
            )
            for hit in pair.term_hits
        ],
        alignment=[
            pb.WordAlignment(source=span_to_proto(link.source), target=span_to_proto(link.target))
            for link in pair.alignment
        ],
        score=pair.score,
        unconstrained_target=pair.unconstrained_target,
        cached=pair.cached,
        skipped_terms=[
            pb.SkippedTerm(
                glossary=skip.glossary,
                source_term=skip.source_term,
                target_term=skip.target_term,
                source_span=span_to_proto(skip.source_span),
                reason=skip.reason,
            )
            for skip in pair.skipped_terms
        ],
        confidence=pair.confidence,
        needs_review=pair.needs_review,
        review_reasons=[
            pb.ReviewReason(code=reason.code, detail=reason.detail)
            for reason in pair.review_reasons
        ],
    )


def translation_from_proto(message: pb.TranslateResponse) -> Translation:
    stats = message.stats
    return Translation(
        request_id=message.request_id,
        translation=message.translation,
        sentences=tuple(sentence_from_proto(pair) for pair in message.sentences),
        model=message.model,
        glossaries=tuple(GlossaryRef(ref.name, ref.version) for ref in message.glossaries),
        stats=TranslateStats(
            source_characters=stats.source_characters,
            sentences=stats.sentences,
            translated_sentences=stats.translated_sentences,
            cached_sentences=stats.cached_sentences,
            term_hits=stats.term_hits,
            elapsed_ms=stats.elapsed_ms,
        ),
        document_terms=tuple(
            DocumentTerm(
                source_term=term.source_term,
                target_term=term.target_term,
                occurrences=term.occurrences,
                variants=tuple(Rendering(v.english, v.count) for v in term.variants),
            )
            for term in message.document_terms
        ),
    )


def document_term_to_proto(term: DocumentTerm) -> pb.DocumentTerm:
    return pb.DocumentTerm(
        source_term=term.source_term,
        target_term=term.target_term,
        occurrences=term.occurrences,
        variants=[pb.Rendering(english=v.english, count=v.count) for v in term.variants],
    )


def translation_to_proto(translation: Translation) -> pb.TranslateResponse:
    """The TranslateResponse that :func:`translation_from_proto` reads back unchanged."""
    stats = translation.stats
    return pb.TranslateResponse(
        request_id=translation.request_id,
        translation=translation.translation,
        sentences=[sentence_to_proto(pair) for pair in translation.sentences],
        model=translation.model,
        glossaries=[
            pb.GlossaryRef(name=ref.name, version=ref.version) for ref in translation.glossaries
        ],
        stats=pb.TranslateStats(
            source_characters=stats.source_characters,
            sentences=stats.sentences,
            translated_sentences=stats.translated_sentences,
            cached_sentences=stats.cached_sentences,
            term_hits=stats.term_hits,
            elapsed_ms=stats.elapsed_ms,
        ),
        document_terms=[document_term_to_proto(term) for term in translation.document_terms],
    )


def term_to_proto(term: Term) -> pb.Term:
    return pb.Term(
        source=list(term.sources),
        target=term.target,
        kind=term.kind,
        note=term.note,
        exact=term.exact,
        article=term.article,
        guard=term.guard,
        ambiguous=term.ambiguous,
        skip_when=list(term.skip_when),
        apply_when=list(term.apply_when),
    )


def term_from_proto(message: pb.Term) -> Term:
    """An empty kind on the wire is the schema's default, "other"."""
    return Term(
        sources=tuple(message.source),
        target=message.target,
        kind=message.kind or "other",
        note=message.note,
        exact=message.exact,
        article=message.article,
        guard=message.guard,
        ambiguous=message.ambiguous,
        skip_when=tuple(message.skip_when),
        apply_when=tuple(message.apply_when),
    )


def glossary_to_proto(glossary: Glossary, *, with_terms: bool = True) -> pb.Glossary:
    return pb.Glossary(
        name=glossary.name,
        version=glossary.version or 0,
        description=glossary.description,
        source_language=glossary.source_language,
        target_language=glossary.target_language,
        terms=[term_to_proto(term) for term in glossary.terms] if with_terms else [],
        term_count=len(glossary.terms),
    )


def glossary_from_proto(message: pb.Glossary) -> Glossary:
    return Glossary(
        name=message.name,
        terms=tuple(term_from_proto(term) for term in message.terms),
        description=message.description,
        source_language=message.source_language or "ar",
        target_language=message.target_language or "en",
        version=message.version or None,
    )


def glossary_info_from_proto(message: pb.Glossary) -> GlossaryInfo:
    return GlossaryInfo(
        name=message.name,
        version=message.version,
        description=message.description,
        term_count=message.term_count,
        update_time=(
            message.update_time.ToDatetime(tzinfo=UTC) if message.HasField("update_time") else None
        ),
        source_language=message.source_language or "ar",
        target_language=message.target_language or "en",
        load_error=message.load_error,
    )


def model_info_from_proto(message: pb.ModelInfo) -> ModelInfo:
    limits = message.limits
    return ModelInfo(
        name=message.name,
        source_language=message.source_language,
        target_language=message.target_language,
        architecture=message.architecture,
        compute_type=message.compute_type,
        device=message.device,
        default_beam_size=message.default_beam_size,
        supports_alignment=message.supports_alignment,
        source_url=message.source_url,
        sha256=message.sha256,
        server_version=message.server_version,
        default_glossaries=tuple(message.default_glossaries),
        limits=Limits(
            max_characters=limits.max_characters,
            max_sentences=limits.max_sentences,
            max_inline_terms=limits.max_inline_terms,
            max_message_bytes=limits.max_message_bytes,
            max_beam_size=limits.max_beam_size,
        ),
    )
