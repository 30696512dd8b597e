"""Who may change glossaries (a bearer token), and the server's TLS credentials."""

from __future__ import annotations

import hmac
from collections.abc import Callable

import grpc

from tarjama.server.serve.config import ServerConfig
from tarjama.server.serve.logs import CallLog, RequestRecord
from tarjama.server.serve.requests import SERVICE_NAME

WRITE_METHODS = frozenset(f"/{SERVICE_NAME}/{name}" for name in ("PutGlossary", "DeleteGlossary"))


class BearerTokenInterceptor(grpc.ServerInterceptor):
    """Glossary writes need "authorization: Bearer <token>"; reads stay open."""

    def __init__(self, token: str, call_log: CallLog) -> None:
        self._expected = f"Bearer {token}".encode()
        self._call_log = call_log

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        if handler_call_details.method not in WRITE_METHODS:
            return continuation(handler_call_details)
        metadata = dict(handler_call_details.invocation_metadata or ())
        given = metadata.get("authorization", "")
        given_bytes = given.encode() if isinstance(given, str) else bytes(given)
        if hmac.compare_digest(given_bytes, self._expected):
            return continuation(handler_call_details)
        method = handler_call_details.method.rsplit("/", 1)[-1]
        message = (
            f'{method} needs a bearer token: send metadata "authorization: Bearer <token>" '
            "with the server's token"
            if not given
            else f"{method}: the bearer token is wrong"
        )

        def deny(request: bytes, context: grpc.ServicerContext) -> None:
            self._call_log.write(RequestRecord(method, status="UNAUTHENTICATED"), 0.0)
            context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

        return grpc.unary_unary_rpc_method_handler(deny)


def server_credentials(config: ServerConfig) -> grpc.ServerCredentials:
    assert config.tls_cert is not None and config.tls_key is not None
    client_ca = config.tls_client_ca.read_bytes() if config.tls_client_ca else None
    return grpc.ssl_server_credentials(
        [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())],
        root_certificates=client_ca,
        require_client_auth=client_ca is not None,
    )
