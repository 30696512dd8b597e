"""The exceptions the client raises, one per kind of failure a caller handles differently.

Every gRPC status the server returns becomes a :class:`TarjamaError` subclass that keeps
the server's message (which says what went wrong and what to do) and the status code,
and what the standard rich error details (``google.rpc.Status`` in the
``grpc-status-details-bin`` trailer) add: which request fields are at fault (BadRequest),
when to retry (RetryInfo), which quota ran out (QuotaFailure).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import grpc
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2

# The old retry trailer, read when RetryInfo is absent (older tarjama servers send only it).
RETRY_AFTER_METADATA_KEY = "retry-after-ms"
STATUS_DETAILS_KEY = "grpc-status-details-bin"
# gRPC's own message when a message outgrows a receiver's limit (either side).
_TOO_LARGE = re.compile(r"(?:Received|Sent) message larger than max \((\d+) vs\. (\d+)\)")


@dataclass(frozen=True)
class ErrorDetails:
    """The rich error details of a status, as far as the client understands them."""

    retry_after_ms: int | None = None
    field_violations: tuple[tuple[str, str], ...] = ()  # (field, what is wrong)
    quota_violations: tuple[tuple[str, str], ...] = ()  # (subject, what ran out)


class TarjamaError(Exception):
    """A call to the tarjama server failed.

    ``message`` explains it; ``details`` is the status message exactly as received (the
    server's own words, or gRPC's when the server was never reached).
    """

    def __init__(
        self,
        message: str,
        code: grpc.StatusCode | None = None,
        details: str = "",
        error_details: ErrorDetails | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details
        self.error_details = error_details or ErrorDetails()


class MessageTooLarge(TarjamaError):
    """A message was over gRPC's size limit (``size`` bytes, ``limit`` bytes): the request
    over the server's limit, or the response over this client's."""

    def __init__(
        self, message: str, code: grpc.StatusCode | None, details: str, size: int, limit: int
    ) -> None:
        super().__init__(message, code, details)
        self.size = size
        self.limit = limit


class InvalidRequest(TarjamaError):
    """The request was rejected as it is (INVALID_ARGUMENT): fix it before sending again."""


class Conflict(TarjamaError):
    """A glossary changed since it was read (FAILED_PRECONDITION): read it again, retry."""


class NotFound(TarjamaError):
    """A named glossary does not exist on the server (NOT_FOUND)."""


class Unauthenticated(TarjamaError):
    """The call needs a bearer token, or the one given is wrong (UNAUTHENTICATED)."""


class PermissionDenied(TarjamaError):
    """The server refuses the change, e.g. its glossary folder is read-only."""


class Busy(TarjamaError):
    """The server's translation queue is full (RESOURCE_EXHAUSTED).

    ``retry_after_ms`` is the delay the server asked for, or None when it named none.
    """

    def __init__(
        self,
        message: str,
        code: grpc.StatusCode | None = grpc.StatusCode.RESOURCE_EXHAUSTED,
        details: str = "",
        retry_after_ms: int | None = None,
        error_details: ErrorDetails | None = None,
    ) -> None:
        super().__init__(message, code, details, error_details)
        self.retry_after_ms = retry_after_ms


class DeadlineExceeded(TarjamaError):
    """The call's deadline expired before the server answered (DEADLINE_EXCEEDED)."""


class ServerUnavailable(TarjamaError):
    """The server cannot be reached, or is starting or stopping (UNAVAILABLE)."""


_ERROR_BY_CODE: dict[grpc.StatusCode, type[TarjamaError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidRequest,
    grpc.StatusCode.OUT_OF_RANGE: InvalidRequest,
    grpc.StatusCode.FAILED_PRECONDITION: Conflict,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.UNAVAILABLE: ServerUnavailable,
}


def error_from_status(
    code: grpc.StatusCode,
    details: str | None,
    trailing_metadata: object = None,
    address: str = "",
) -> TarjamaError:
    """The exception for a failed call: its status code, message and trailers."""
    message = details or f"the server answered {code.name} without a message"
    rich = error_details(trailing_metadata)
    if code is grpc.StatusCode.UNAVAILABLE and address:
        message = f"cannot reach the tarjama server at {address} ({message})"
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        too_large = _TOO_LARGE.search(details or "")
        if too_large and rich.retry_after_ms is None:
            size, limit = int(too_large.group(1)), int(too_large.group(2))
            return MessageTooLarge(
                _too_large_message(size, limit), code, details or "", size, limit
            )
        return Busy(message, code, details or "", rich.retry_after_ms, rich)
    return _ERROR_BY_CODE.get(code, TarjamaError)(message, code, details or "", rich)


def error_from_rpc(error: grpc.RpcError, address: str = "") -> TarjamaError:
    """Maps a ``grpc.RpcError`` (sync or aio) onto the hierarchy above."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    return error_from_status(code, details, trailers, address)


def error_details(trailing_metadata: object) -> ErrorDetails:
    """The rich details of a status from its trailers; the old retry trailer stands in for
    RetryInfo. Details the client does not know, or cannot parse, are left out."""
    retry_after_ms = None
    fields: list[tuple[str, str]] = []
    quotas: list[tuple[str, str]] = []
    for key, value in trailing_metadata or ():  # type: ignore[attr-defined]
        if key == RETRY_AFTER_METADATA_KEY and retry_after_ms is None:
            with contextlib.suppress(TypeError, ValueError):
                retry_after_ms = max(0, int(value))
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except DecodeError:
            continue
        for packed in status.details:
            retry = error_details_pb2.RetryInfo()
            bad_request = error_details_pb2.BadRequest()
            quota = error_details_pb2.QuotaFailure()
            if packed.Unpack(retry):
                retry_after_ms = max(0, retry.retry_delay.ToMilliseconds())
            elif packed.Unpack(bad_request):
                fields += [(v.field, v.description) for v in bad_request.field_violations]
            elif packed.Unpack(quota):
                quotas += [(v.subject, v.description) for v in quota.violations]
    return ErrorDetails(retry_after_ms, tuple(fields), tuple(quotas))


def _too_large_message(size: int, limit: int) -> str:
    return (
        f"a message of {size} bytes is over the limit of {limit} bytes: send less per request "
        "(split the document, e.g. with translate_document, which sends it in pieces under "
        "the server's limits; or fewer inline terms), or ask the operator to raise the "
        "server's max_message_bytes"
    )
