"""The exceptions the client raises, one per kind of failure a caller handles differently.

Every gRPC status the server returns becomes a :class:`TarjamaError` subclass that keeps
the server's message (which says what went wrong and what to do) and the status code.
"""

from __future__ import annotations

import grpc

RETRY_AFTER_METADATA_KEY = "retry-after-ms"


class TarjamaError(Exception):
    """A call to the tarjama server failed.

    ``message`` explains it; ``details`` is the status message exactly as received (the
    server's own words, or gRPC's when the server was never reached).
    """

    def __init__(
        self, message: str, code: grpc.StatusCode | None = None, details: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


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
    ) -> None:
        super().__init__(message, code, details)
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
    if code is grpc.StatusCode.UNAVAILABLE and address:
        message = f"cannot reach the tarjama server at {address} ({message})"
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        return Busy(message, code, details or "", _retry_after_ms(trailing_metadata))
    return _ERROR_BY_CODE.get(code, TarjamaError)(message, code, details or "")


def error_from_rpc(error: grpc.RpcError, address: str = "") -> TarjamaError:
    """Maps a ``grpc.RpcError`` (sync or aio) onto the hierarchy above."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    return error_from_status(code, details, trailers, address)


def _retry_after_ms(trailing_metadata: object) -> int | None:
    for key, value in trailing_metadata or ():  # type: ignore[attr-defined]
        if key == RETRY_AFTER_METADATA_KEY:
            try:
                return max(0, int(value))
            except (TypeError, ValueError):
                return None
    return None
