"""Results of the tarjama API as dataclasses, and their conversion from and to protobuf.

The fields mirror ``proto/tarjama/v1/translator.proto`` (read it for their meaning); spans
are half-open code-point ranges, so ``text[span.start:span.end]`` is what they name.
Glossaries and terms use :mod:`tarjama.glossary`'s own dataclasses, so a glossary read
from the server can be validated, matched and dumped like one read from a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from tarjama.glossary import Term
from tarjama.v1 import translator_pb2 as pb


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def of(self, text: str) -> str:
        """The part of ``text`` this span names."""
        return text[self.start : self.end]


@dataclass(frozen=True)
class TermHit:
    glossary: str  # "" for a term given with the request
    source_term: str
    target_term: str
    source_span: Span  # into the request text
    target_span: Span  # into Translation.translation
    method: str  # "inline", "aligned", "prefix", or a value added later


@dataclass(frozen=True)
class WordAlignment:
    source: Span  # into the request text
    target: Span  # into Translation.translation


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


TermsArgument = Iterable[Term] | Mapping[str, str]


def terms_from_argument(terms: TermsArgument) -> tuple[Term, ...]:
    """Inline terms given as Term objects or as a mapping {arabic: english}."""
    if isinstance(terms, Mapping):
        return tuple(Term(sources=(arabic,), target=english) for arabic, english in terms.items())
    return tuple(terms)


def _span(message: pb.Span) -> Span:
    return Span(message.start, message.end)


def translation_from_proto(message: pb.TranslateResponse) -> Translation:
    return Translation(
        request_id=message.request_id,
        translation=message.translation,
        sentences=tuple(
            SentencePair(
                source=pair.source,
                target=pair.target,
                source_span=_span(pair.source_span),
                target_span=_span(pair.target_span),
                term_hits=tuple(
                    TermHit(
                        glossary=hit.glossary,
                        source_term=hit.source_term,
                        target_term=hit.target_term,
                        source_span=_span(hit.source_span),
                        target_span=_span(hit.target_span),
                        method=hit.method,
                    )
                    for hit in pair.term_hits
                ),
                alignment=tuple(
                    WordAlignment(_span(link.source), _span(link.target)) for link in pair.alignment
                ),
                score=pair.score,
                unconstrained_target=pair.unconstrained_target,
                cached=pair.cached,
            )
            for pair in message.sentences
        ),
        model=message.model,
        glossaries=tuple(GlossaryRef(ref.name, ref.version) for ref in message.glossaries),
        stats=TranslateStats(
            source_characters=message.stats.source_characters,
            sentences=message.stats.sentences,
            translated_sentences=message.stats.translated_sentences,
            cached_sentences=message.stats.cached_sentences,
            term_hits=message.stats.term_hits,
            elapsed_ms=message.stats.elapsed_ms,
        ),
    )


def _span_proto(span: Span) -> pb.Span:
    return pb.Span(start=span.start, end=span.end)


def translation_to_proto(translation: Translation) -> pb.TranslateResponse:
    """The TranslateResponse that :func:`translation_from_proto` reads back unchanged."""
    stats = translation.stats
    return pb.TranslateResponse(
        request_id=translation.request_id,
        translation=translation.translation,
        sentences=[
            pb.SentencePair(
                source=pair.source,
                target=pair.target,
                source_span=_span_proto(pair.source_span),
                target_span=_span_proto(pair.target_span),
                term_hits=[
                    pb.TermHit(
                        glossary=hit.glossary,
                        source_term=hit.source_term,
                        target_term=hit.target_term,
                        source_span=_span_proto(hit.source_span),
                        target_span=_span_proto(hit.target_span),
                        method=hit.method,
                    )
                    for hit in pair.term_hits
                ],
                alignment=[
                    pb.WordAlignment(
                        source=_span_proto(link.source), target=_span_proto(link.target)
                    )
                    for link in pair.alignment
                ],
                score=pair.score,
                unconstrained_target=pair.unconstrained_target,
                cached=pair.cached,
            )
            for pair in translation.sentences
        ],
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
