"""The servicer's edge: tarjama.v1 messages to and from domain objects, and domain
errors to status codes.

Only the servicer speaks protobuf; the pipeline and the glossary store work with
dataclasses and raise their own exceptions. :class:`RpcFailure` carries a status code up
to the servicer method, which ends the call with it.
"""

from __future__ import annotations

import dataclasses
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import grpc

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
from tarjama.v1 import translator_pb2 as pb

MAX_REQUEST_ID = 128
RETRY_AFTER_KEY = "retry-after-ms"  # trailing metadata of RESOURCE_EXHAUSTED
T = TypeVar("T")


class RpcFailure(Exception):
    """Ends a call with a status; raised anywhere below a servicer method."""

    def __init__(
        self, code: grpc.StatusCode, message: str, trailing: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.trailing = trailing


def glossary_from_proto(message: pb.Glossary) -> Glossary:
    """The glossary a PutGlossary carries; its version is ignored (the store assigns it)."""
    return dataclasses.replace(wire.glossary_from_proto(message), version=None)


def glossary_to_proto(stored: StoredGlossary, *, with_terms: bool) -> pb.Glossary:
    message = wire.glossary_to_proto(stored.glossary, with_terms=with_terms)
    message.version = stored.version
    message.update_time.FromDatetime(stored.update_time)
    message.load_error = stored.load_error
    return message


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
        raise invalid_argument(problem_summary(error.problems)) from None
    except VersionConflictError as error:
        raise RpcFailure(grpc.StatusCode.FAILED_PRECONDITION, str(error)) from None
    except ReadOnlyStoreError as error:
        raise RpcFailure(grpc.StatusCode.PERMISSION_DENIED, str(error)) from None


def unknown_glossary_status(
    error: UnknownGlossaryError, names: Sequence[str], *, from_request: bool
) -> RpcFailure:
    if from_request:
        return RpcFailure(grpc.StatusCode.NOT_FOUND, f"{error}: check the name in `glossaries`")
    return RpcFailure(
        grpc.StatusCode.NOT_FOUND,
        f"{error}; it is one of the server's default glossaries ({', '.join(names)}): name "
        "glossaries explicitly or set options.no_default_glossaries, and tell the operator",
    )


def checked_request_id(given: str) -> str:
    if not given:
        return uuid.uuid4().hex[:16]
    if len(given) > MAX_REQUEST_ID:
        raise invalid_argument(
            f"request_id has {len(given)} characters, over the limit of {MAX_REQUEST_ID}"
        )
    if any(unicodedata.category(char)[0] in "CZ" and char != " " for char in given):
        raise invalid_argument(
            "request_id contains control or separator characters: use printable text"
        )
    return given


def invalid_argument(message: str) -> RpcFailure:
    return RpcFailure(grpc.StatusCode.INVALID_ARGUMENT, message)
