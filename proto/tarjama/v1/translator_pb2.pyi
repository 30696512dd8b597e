import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Span(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class TranslateRequest(_message.Message):
    __slots__ = ("text", "glossaries", "terms", "options", "request_id", "mime_type")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    GLOSSARIES_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    text: str
    glossaries: _containers.RepeatedScalarFieldContainer[str]
    terms: _containers.RepeatedCompositeFieldContainer[Term]
    options: TranslateOptions
    request_id: str
    mime_type: str
    def __init__(self, text: _Optional[str] = ..., glossaries: _Optional[_Iterable[str]] = ..., terms: _Optional[_Iterable[_Union[Term, _Mapping]]] = ..., options: _Optional[_Union[TranslateOptions, _Mapping]] = ..., request_id: _Optional[str] = ..., mime_type: _Optional[str] = ...) -> None: ...

class TranslateOptions(_message.Message):
    __slots__ = ("beam_size", "include_alignment", "include_unconstrained", "no_default_glossaries", "term_spans_exclude_clitics", "skip_cache", "no_document_terms")
    BEAM_SIZE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ALIGNMENT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_UNCONSTRAINED_FIELD_NUMBER: _ClassVar[int]
    NO_DEFAULT_GLOSSARIES_FIELD_NUMBER: _ClassVar[int]
    TERM_SPANS_EXCLUDE_CLITICS_FIELD_NUMBER: _ClassVar[int]
    SKIP_CACHE_FIELD_NUMBER: _ClassVar[int]
    NO_DOCUMENT_TERMS_FIELD_NUMBER: _ClassVar[int]
    beam_size: int
    include_alignment: bool
    include_unconstrained: bool
    no_default_glossaries: bool
    term_spans_exclude_clitics: bool
    skip_cache: bool
    no_document_terms: bool
    def __init__(self, beam_size: _Optional[int] = ..., include_alignment: _Optional[bool] = ..., include_unconstrained: _Optional[bool] = ..., no_default_glossaries: _Optional[bool] = ..., term_spans_exclude_clitics: _Optional[bool] = ..., skip_cache: _Optional[bool] = ..., no_document_terms: _Optional[bool] = ...) -> None: ...

class TranslateResponse(_message.Message):
    __slots__ = ("request_id", "translation", "sentences", "model", "glossaries", "stats", "document_terms")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSLATION_FIELD_NUMBER: _ClassVar[int]
    SENTENCES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    GLOSSARIES_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TERMS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    translation: str
    sentences: _containers.RepeatedCompositeFieldContainer[SentencePair]
    model: str
    glossaries: _containers.RepeatedCompositeFieldContainer[GlossaryRef]
    stats: TranslateStats
    document_terms: _containers.RepeatedCompositeFieldContainer[DocumentTerm]
    def __init__(self, request_id: _Optional[str] = ..., translation: _Optional[str] = ..., sentences: _Optional[_Iterable[_Union[SentencePair, _Mapping]]] = ..., model: _Optional[str] = ..., glossaries: _Optional[_Iterable[_Union[GlossaryRef, _Mapping]]] = ..., stats: _Optional[_Union[TranslateStats, _Mapping]] = ..., document_terms: _Optional[_Iterable[_Union[DocumentTerm, _Mapping]]] = ...) -> None: ...

class DocumentTerm(_message.Message):
    __slots__ = ("source_term", "target_term", "occurrences", "variants")
    SOURCE_TERM_FIELD_NUMBER: _ClassVar[int]
    TARGET_TERM_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    source_term: str
    target_term: str
    occurrences: int
    variants: _containers.RepeatedCompositeFieldContainer[Rendering]
    def __init__(self, source_term: _Optional[str] = ..., target_term: _Optional[str] = ..., occurrences: _Optional[int] = ..., variants: _Optional[_Iterable[_Union[Rendering, _Mapping]]] = ...) -> None: ...

class Rendering(_message.Message):
    __slots__ = ("english", "count")
    ENGLISH_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    english: str
    count: int
    def __init__(self, english: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class SentencePair(_message.Message):
    __slots__ = ("source", "target", "source_span", "target_span", "term_hits", "alignment", "score", "unconstrained_target", "cached", "skipped_terms", "confidence", "needs_review", "review_reasons")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SPAN_FIELD_NUMBER: _ClassVar[int]
    TARGET_SPAN_FIELD_NUMBER: _ClassVar[int]
    TERM_HITS_FIELD_NUMBER: _ClassVar[int]
    ALIGNMENT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    UNCONSTRAINED_TARGET_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_TERMS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    NEEDS_REVIEW_FIELD_NUMBER: _ClassVar[int]
    REVIEW_REASONS_FIELD_NUMBER: _ClassVar[int]
    source: str
    target: str
    source_span: Span
    target_span: Span
    term_hits: _containers.RepeatedCompositeFieldContainer[TermHit]
    alignment: _containers.RepeatedCompositeFieldContainer[WordAlignment]
    score: float
    unconstrained_target: str
    cached: bool
    skipped_terms: _containers.RepeatedCompositeFieldContainer[SkippedTerm]
    confidence: float
    needs_review: bool
    review_reasons: _containers.RepeatedCompositeFieldContainer[ReviewReason]
    def __init__(self, source: _Optional[str] = ..., target: _Optional[str] = ..., source_span: _Optional[_Union[Span, _Mapping]] = ..., target_span: _Optional[_Union[Span, _Mapping]] = ..., term_hits: _Optional[_Iterable[_Union[TermHit, _Mapping]]] = ..., alignment: _Optional[_Iterable[_Union[WordAlignment, _Mapping]]] = ..., score: _Optional[float] = ..., unconstrained_target: _Optional[str] = ..., cached: _Optional[bool] = ..., skipped_terms: _Optional[_Iterable[_Union[SkippedTerm, _Mapping]]] = ..., confidence: _Optional[float] = ..., needs_review: _Optional[bool] = ..., review_reasons: _Optional[_Iterable[_Union[ReviewReason, _Mapping]]] = ...) -> None: ...

class ReviewReason(_message.Message):
    __slots__ = ("code", "detail")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    code: str
    detail: str
    def __init__(self, code: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class SkippedTerm(_message.Message):
    __slots__ = ("glossary", "source_term", "target_term", "source_span", "reason")
    GLOSSARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TERM_FIELD_NUMBER: _ClassVar[int]
    TARGET_TERM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SPAN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    glossary: str
    source_term: str
    target_term: str
    source_span: Span
    reason: str
    def __init__(self, glossary: _Optional[str] = ..., source_term: _Optional[str] = ..., target_term: _Optional[str] = ..., source_span: _Optional[_Union[Span, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class TermHit(_message.Message):
    __slots__ = ("glossary", "source_term", "target_term", "source_span", "target_span", "method")
    GLOSSARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TERM_FIELD_NUMBER: _ClassVar[int]
    TARGET_TERM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SPAN_FIELD_NUMBER: _ClassVar[int]
    TARGET_SPAN_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    glossary: str
    source_term: str
    target_term: str
    source_span: Span
    target_span: Span
    method: str
    def __init__(self, glossary: _Optional[str] = ..., source_term: _Optional[str] = ..., target_term: _Optional[str] = ..., source_span: _Optional[_Union[Span, _Mapping]] = ..., target_span: _Optional[_Union[Span, _Mapping]] = ..., method: _Optional[str] = ...) -> None: ...

class WordAlignment(_message.Message):
    __slots__ = ("source", "target")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    source: Span
    target: Span
    def __init__(self, source: _Optional[_Union[Span, _Mapping]] = ..., target: _Optional[_Union[Span, _Mapping]] = ...) -> None: ...

class Term(_message.Message):
    __slots__ = ("source", "target", "kind", "note", "exact", "article", "guard", "ambiguous", "skip_when", "apply_when")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    GUARD_FIELD_NUMBER: _ClassVar[int]
    AMBIGUOUS_FIELD_NUMBER: _ClassVar[int]
    SKIP_WHEN_FIELD_NUMBER: _ClassVar[int]
    APPLY_WHEN_FIELD_NUMBER: _ClassVar[int]
    source: _containers.RepeatedScalarFieldContainer[str]
    target: str
    kind: str
    note: str
    exact: bool
    article: str
    guard: bool
    ambiguous: bool
    skip_when: _containers.RepeatedScalarFieldContainer[str]
    apply_when: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, source: _Optional[_Iterable[str]] = ..., target: _Optional[str] = ..., kind: _Optional[str] = ..., note: _Optional[str] = ..., exact: _Optional[bool] = ..., article: _Optional[str] = ..., guard: _Optional[bool] = ..., ambiguous: _Optional[bool] = ..., skip_when: _Optional[_Iterable[str]] = ..., apply_when: _Optional[_Iterable[str]] = ...) -> None: ...

class Glossary(_message.Message):
    __slots__ = ("name", "version", "description", "source_language", "target_language", "terms", "term_count", "update_time", "load_error")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TARGET_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    TERM_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LOAD_ERROR_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    description: str
    source_language: str
    target_language: str
    terms: _containers.RepeatedCompositeFieldContainer[Term]
    term_count: int
    update_time: _timestamp_pb2.Timestamp
    load_error: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., description: _Optional[str] = ..., source_language: _Optional[str] = ..., target_language: _Optional[str] = ..., terms: _Optional[_Iterable[_Union[Term, _Mapping]]] = ..., term_count: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., load_error: _Optional[str] = ...) -> None: ...

class GlossaryRef(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ListGlossariesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListGlossariesResponse(_message.Message):
    __slots__ = ("glossaries",)
    GLOSSARIES_FIELD_NUMBER: _ClassVar[int]
    glossaries: _containers.RepeatedCompositeFieldContainer[Glossary]
    def __init__(self, glossaries: _Optional[_Iterable[_Union[Glossary, _Mapping]]] = ...) -> None: ...

class GetGlossaryRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class PutGlossaryRequest(_message.Message):
    __slots__ = ("glossary", "yaml", "expected_version")
    GLOSSARY_FIELD_NUMBER: _ClassVar[int]
    YAML_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    glossary: Glossary
    yaml: str
    expected_version: int
    def __init__(self, glossary: _Optional[_Union[Glossary, _Mapping]] = ..., yaml: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class DeleteGlossaryRequest(_message.Message):
    __slots__ = ("name", "expected_version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    expected_version: int
    def __init__(self, name: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class DeleteGlossaryResponse(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("name", "source_language", "target_language", "architecture", "compute_type", "device", "default_beam_size", "supports_alignment", "source_url", "sha256", "server_version", "default_glossaries", "limits")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TARGET_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    ARCHITECTURE_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_BEAM_SIZE_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_ALIGNMENT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_GLOSSARIES_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
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
    default_glossaries: _containers.RepeatedScalarFieldContainer[str]
    limits: Limits
    def __init__(self, name: _Optional[str] = ..., source_language: _Optional[str] = ..., target_language: _Optional[str] = ..., architecture: _Optional[str] = ..., compute_type: _Optional[str] = ..., device: _Optional[str] = ..., default_beam_size: _Optional[int] = ..., supports_alignment: _Optional[bool] = ..., source_url: _Optional[str] = ..., sha256: _Optional[str] = ..., server_version: _Optional[str] = ..., default_glossaries: _Optional[_Iterable[str]] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_characters", "max_sentences", "max_inline_terms", "max_message_bytes", "max_beam_size")
    MAX_CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    MAX_SENTENCES_FIELD_NUMBER: _ClassVar[int]
    MAX_INLINE_TERMS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_BEAM_SIZE_FIELD_NUMBER: _ClassVar[int]
    max_characters: int
    max_sentences: int
    max_inline_terms: int
    max_message_bytes: int
    max_beam_size: int
    def __init__(self, max_characters: _Optional[int] = ..., max_sentences: _Optional[int] = ..., max_inline_terms: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., max_beam_size: _Optional[int] = ...) -> None: ...

class TranslateStats(_message.Message):
    __slots__ = ("source_characters", "sentences", "translated_sentences", "cached_sentences", "term_hits", "elapsed_ms")
    SOURCE_CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    SENTENCES_FIELD_NUMBER: _ClassVar[int]
    TRANSLATED_SENTENCES_FIELD_NUMBER: _ClassVar[int]
    CACHED_SENTENCES_FIELD_NUMBER: _ClassVar[int]
    TERM_HITS_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    source_characters: int
    sentences: int
    translated_sentences: int
    cached_sentences: int
    term_hits: int
    elapsed_ms: int
    def __init__(self, source_characters: _Optional[int] = ..., sentences: _Optional[int] = ..., translated_sentences: _Optional[int] = ..., cached_sentences: _Optional[int] = ..., term_hits: _Optional[int] = ..., elapsed_ms: _Optional[int] = ...) -> None: ...
