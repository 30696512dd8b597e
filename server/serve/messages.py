"""The servicer's edge: tarjama.v1 messages to and from domain objects, and domain
errors to status codes.

Only the servicer speaks protobuf; the pipeline and the glossary store work with
dataclasses and raise their own exceptions. :class:`RpcFailure` carries a status code up
to the servicer method, which ends the call with it, in the standard rich error model
(``google.rpc.Status`` with ``BadRequest``, ``RetryInfo``, ``QuotaFailure`` details) that
clients in any language can read.
"""

from __future__ import annotations

import dataclasses
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from tarjama import wire
from tarjama.glossary import Glossary, GlossaryError
from tarjama.server.stores.glossaries import (
    GlossaryVersion,
    ReadOnlyStoreError,
    StoredGlossary,
    UnknownGlossaryError,
    VersionConflictError,
)
from tarjama.server.translate.assemble import DocumentTranslation
from tarjama.server.translate.options import PipelineOptions
from tarjama.v1 import translator_pb2 as pb

MAX_REQUEST_ID = 128
# The old RESOURCE_EXHAUSTED trailer, kept one release beside RetryInfo for older clients.
RETRY_AFTER_KEY = "retry-after-ms"
# Status messages travel in HTTP/2 trailers (percent-encoded), which clients and proxies cap
# at a few kilobytes; past that a client sees "metadata size exceeds soft limit" instead.
MAX_STATUS_BYTES = 1024
SHORTENED = " … (shortened)"
T = TypeVar("T")


class RpcFailure(Exception):
    """Ends a call with a status; raised anywhere below a servicer method.

    ``details`` are ``google.rpc`` error detail messages; the message is bounded in size
    whatever the input was.
    """

    def __init__(
        self, code: grpc.StatusCode, message: str, details: Sequence[Message] = ()
    ) -> None:
        message = bounded(message)
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = tuple(details)

    def status(self) -> grpc.Status:
        """The status to end the call with: code, message, the rich details in the
        ``grpc-status-details-bin`` trailer, and the old retry trailer."""
        packed = []
        for detail in self.details:
            wrapper = any_pb2.Any()
            wrapper.Pack(detail)
            packed.append(wrapper)
        code = getattr(code_pb2, self.code.name)
        proto = status_pb2.Status(code=code, message=self.message, details=packed)
        status = rpc_status.to_status(proto)
        trailing = tuple(status.trailing_metadata)
        for detail in self.details:
            if isinstance(detail, error_details_pb2.RetryInfo):
                trailing += ((RETRY_AFTER_KEY, str(detail.retry_delay.ToMilliseconds())),)
        return _Status(status.code, status.details, trailing)


@dataclasses.dataclass(frozen=True)
class _Status(grpc.Status):
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...]


def bounded(text: str, limit: int = MAX_STATUS_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, saying so when it was cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    room = limit - len(SHORTENED.encode("utf-8"))
    return encoded[:room].decode("utf-8", errors="ignore") + SHORTENED


def retry_info(retry_after_ms: int) -> error_details_pb2.RetryInfo:
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(retry_after_ms)
    return error_details_pb2.RetryInfo(retry_delay=delay)


def queue_full(message: str, retry_after_ms: int) -> RpcFailure:
    """RESOURCE_EXHAUSTED for a full translation queue: when to retry, and which quota."""
    quota = error_details_pb2.QuotaFailure(
        violations=[
            error_details_pb2.QuotaFailure.Violation(
                subject="translation queue", description=bounded(message, 256)
            )
        ]
    )
    details = (retry_info(retry_after_ms), quota)
    return RpcFailure(grpc.StatusCode.RESOURCE_EXHAUSTED, message, details)


def unavailable(message: str, retry_after_ms: int = 0) -> RpcFailure:
    details = (retry_info(retry_after_ms),) if retry_after_ms else ()
    return RpcFailure(grpc.StatusCode.UNAVAILABLE, message, details)


def glossary_from_proto(message: pb.Glossary) -> Glossary:
    """The glossary a PutGlossary carries; its version is ignored (the store assigns it)."""
    return dataclasses.replace(wire.glossary_from_proto(message), version=None)


def glossary_to_proto(stored: StoredGlossary, *, with_terms: bool) -> pb.Glossary:
    message = wire.glossary_to_proto(stored.glossary, with_terms=with_terms)
    message.version = stored.version
    message.update_time.FromDatetime(stored.update_time)
    message.load_error = stored.load_error
    return message


def pipeline_options(
    message: pb.TranslateOptions, max_beam_size: int, default_beam_size: int
) -> PipelineOptions:
    """TranslateRequest.options as the pipeline takes them, the beam checked."""
    if message.beam_size > max_beam_size:
        raise invalid_argument(
            f"options.beam_size {message.beam_size} is over the limit of {max_beam_size}: use "
            f"1-{max_beam_size}, or 0 for the server default ({default_beam_size})",
            "options.beam_size",
        )
    return PipelineOptions(
        beam_size=message.beam_size or None,
        include_alignment=message.include_alignment,
        include_unconstrained=message.include_unconstrained,
        term_spans_exclude_clitics=message.term_spans_exclude_clitics,
        use_cache=not message.skip_cache,
        document_terms=not message.no_document_terms,
    )


def response_to_proto(
    *,
    request_id: str,
    model: str,
    text: str,
    document: DocumentTranslation,
    glossaries: Sequence[GlossaryVersion],
    elapsed_ms: int,
) -> pb.TranslateResponse:
    """The pipeline's translation of ``text`` as the response."""
    sentences = [wire.sentence_to_proto(pair) for pair in document.sentences]
    return pb.TranslateResponse(
        request_id=request_id,
        translation=document.translation,
        sentences=sentences,
        model=model,
        glossaries=[pb.GlossaryRef(name=g.name, version=g.version) for g in glossaries],
        stats=pb.TranslateStats(
            source_characters=len(text),
            sentences=len(sentences),
            translated_sentences=document.translated_sentences,
            cached_sentences=document.cached_sentences,
            term_hits=sum(len(pair.term_hits) for pair in document.sentences),
            elapsed_ms=elapsed_ms,
        ),
        document_terms=[wire.document_term_to_proto(term) for term in document.document_terms],
    )


def problem_summary(problems: Iterable[object], limit: int = 20) -> str:
    """Validation problems as one status message, bounded: status details travel in
    HTTP/2 trailers, which proxies cap at a few kilobytes."""
    lines = [str(problem) for problem in problems]
    shown = "; ".join(lines[:limit])
    return shown if len(lines) <= limit else f"{shown}; and {len(lines) - limit} more problems"


def glossary_status(work: Callable[[], T]) -> T:
    """Runs a glossary store operation, its refusals as status codes."""
    try:
        return work()
    except UnknownGlossaryError as error:
        raise RpcFailure(grpc.StatusCode.NOT_FOUND, str(error)) from None
    except GlossaryError as error:
        raise invalid_argument(problem_summary(error.problems), "glossary") from None
    except VersionConflictError as error:
        raise RpcFailure(grpc.StatusCode.FAILED_PRECONDITION, str(error)) from None
    except ReadOnlyStoreError as error:
        raise RpcFailure(grpc.StatusCode.PERMISSION_DENIED, str(error)) from None


def unknown_glossary_status(
    error: UnknownGlossaryError, names: Sequence[str], *, from_request: bool
) -> RpcFailure:
    # The store's message lists the glossaries there are: shortened, so the advice stays.
    said = bounded(str(error), MAX_STATUS_BYTES // 2)
    if from_request:
        return RpcFailure(grpc.StatusCode.NOT_FOUND, f"{said}: check the name in `glossaries`")
    return RpcFailure(
        grpc.StatusCode.NOT_FOUND,
        f"{said}; it is one of the server's default glossaries ({', '.join(names)}): name "
        "glossaries explicitly or set options.no_default_glossaries, and tell the operator",
    )


def checked_request_id(given: str) -> str:
    if not given:
        return uuid.uuid4().hex[:16]
    if len(given) > MAX_REQUEST_ID:
        raise invalid_argument(
            f"request_id has {len(given)} characters, over the limit of {MAX_REQUEST_ID}",
            "request_id",
        )
    if any(unicodedata.category(char)[0] in "CZ" and char != " " for char in given):
        raise invalid_argument(
            "request_id contains control or separator characters: use printable text",
            "request_id",
        )
    return given


def invalid_argument(message: str, field: str = "") -> RpcFailure:
    """INVALID_ARGUMENT; with ``field`` (the request field at fault, e.g. "text") also a
    BadRequest field violation, so that programs can tell which field to fix."""
    failure = RpcFailure(grpc.StatusCode.INVALID_ARGUMENT, message)
    if field:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=field, description=failure.message
        )
        failure.details = (error_details_pb2.BadRequest(field_violations=[violation]),)
    return failure
