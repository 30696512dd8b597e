"""tarjama.client: the Python client of the tarjama translation server, and its CLI.

    from tarjama.client import Translator

    with Translator("localhost:50051") as translator:
        result = translator.translate("التقى الرئيس بوتين وزير الخارجية كيري في موسكو")
        print(result.translation)

:class:`AsyncTranslator` is the same client for asyncio programs.
"""

from tarjama.client.aio import AsyncTranslator
from tarjama.client.calls import RetryPolicy, TranslateOptions
from tarjama.client.errors import (
    Busy,
    Conflict,
    DeadlineExceeded,
    InvalidRequest,
    MessageTooLarge,
    NotFound,
    PermissionDenied,
    ServerUnavailable,
    TarjamaError,
    Unauthenticated,
)
from tarjama.client.translator import Translator
from tarjama.glossary import Glossary, Term
from tarjama.results import (
    Document,
    GlossaryInfo,
    GlossaryRef,
    HealthStatus,
    Limits,
    ModelInfo,
    SentencePair,
    Span,
    TermHit,
    TranslateStats,
    Translation,
    WordAlignment,
)

__all__ = [
    "AsyncTranslator",
    "Busy",
    "Conflict",
    "DeadlineExceeded",
    "Document",
    "Glossary",
    "GlossaryInfo",
    "GlossaryRef",
    "HealthStatus",
    "InvalidRequest",
    "Limits",
    "MessageTooLarge",
    "ModelInfo",
    "NotFound",
    "PermissionDenied",
    "RetryPolicy",
    "SentencePair",
    "ServerUnavailable",
    "Span",
    "TarjamaError",
    "Term",
    "TermHit",
    "TranslateOptions",
    "TranslateStats",
    "Translation",
    "Translator",
    "Unauthenticated",
    "WordAlignment",
]
