"""The Python client of the tarjama server: a thin typed wrapper over the gRPC stub.

    with Translator("localhost:50051") as translator:
        result = translator.translate(text, terms={"جبهة النصرة": "Nusra Front"})
        for pair in result.sentences:
            print(pair.source, "→", pair.target)

Calls have a deadline (``timeout`` seconds, per call or for the client), are retried with
exponential backoff and jitter when the server is UNAVAILABLE (starting, stopping,
unreachable) and never on any other status, since those would fail the same way again.
Failures raise the :mod:`tarjama.client.errors` hierarchy with the server's message.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tarjama import __version__
from tarjama.client.errors import TarjamaError, error_from_rpc
from tarjama.client.types import (
    Document,
    GlossaryInfo,
    HealthStatus,
    ModelInfo,
    TermsArgument,
    Translation,
    glossary_info_from_proto,
    model_info_from_proto,
    terms_from_argument,
    translation_from_proto,
)
from tarjama.glossary import Glossary
from tarjama.glossary.messages import glossary_from_proto, glossary_to_proto, term_to_proto
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc

DEFAULT_ADDRESS = "localhost:50051"
# Responses with word alignments for a long document outgrow gRPC's 4 MiB default.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
PemSource = bytes | str | Path

Response = TypeVar("Response")


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts of a call that failed with UNAVAILABLE.

    The n-th retry waits a random time in [cap/2, cap], cap = min(max_backoff,
    initial_backoff * multiplier**n): clients that failed together do not retry together.
    """

    retries: int = 3
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    multiplier: float = 2.0

    def delay(self, retry: int) -> float:
        cap = min(self.max_backoff, self.initial_backoff * self.multiplier**retry)
        return random.uniform(cap / 2, cap)

    def next_delay(self, code: grpc.StatusCode, retry: int, deadline: float | None) -> float | None:
        """Seconds to wait before retry number ``retry`` (from 0), or None to give up."""
        if code is not grpc.StatusCode.UNAVAILABLE or retry >= self.retries:
            return None
        delay = self.delay(retry)
        if deadline is not None and time.monotonic() + delay >= deadline:
            return None  # the wait alone would use up the caller's deadline
        return delay


@dataclass(frozen=True)
class TranslateOptions:
    """The per-request options of TranslateRequest.options (see translator.proto)."""

    beam_size: int = 0  # 0: the server default
    alignment: bool = False
    unconstrained: bool = False
    no_default_glossaries: bool = False
    term_spans_exclude_clitics: bool = False
    skip_cache: bool = False

    def to_proto(self) -> pb.TranslateOptions:
        return pb.TranslateOptions(
            beam_size=self.beam_size,
            include_alignment=self.alignment,
            include_unconstrained=self.unconstrained,
            no_default_glossaries=self.no_default_glossaries,
            term_spans_exclude_clitics=self.term_spans_exclude_clitics,
            skip_cache=self.skip_cache,
        )


DEFAULT_OPTIONS = TranslateOptions()


def translate_request(
    text: str,
    *,
    glossaries: Sequence[str] = (),
    terms: TermsArgument = (),
    options: TranslateOptions = DEFAULT_OPTIONS,
    request_id: str = "",
) -> pb.TranslateRequest:
    """The TranslateRequest message for one document."""
    if isinstance(glossaries, str):
        raise TypeError("glossaries is a sequence of names: write glossaries=[name]")
    return pb.TranslateRequest(
        text=text,
        glossaries=list(glossaries),
        terms=[term_to_proto(term) for term in terms_from_argument(terms)],
        options=options.to_proto(),
        request_id=request_id,
    )


def document_request(
    document: str | Document,
    glossaries: Sequence[str],
    terms: TermsArgument,
    options: TranslateOptions,
) -> pb.TranslateRequest:
    """The request for one document of a stream."""
    if isinstance(document, str):
        document = Document(document)
    return translate_request(
        document.text,
        glossaries=glossaries,
        terms=terms,
        options=options,
        request_id=document.request_id,
    )


def _read_pem(source: PemSource | None) -> bytes | None:
    if source is None or isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise TarjamaError(f"cannot read {source}: {error.strerror}") from error


def channel_credentials(
    tls: bool,
    root_certificates: PemSource | None,
    client_cert: PemSource | None,
    client_key: PemSource | None,
) -> grpc.ChannelCredentials | None:
    """TLS credentials, or None for a plaintext channel. Any certificate implies TLS."""
    if not (tls or root_certificates or client_cert or client_key):
        return None
    if (client_cert is None) != (client_key is None):
        raise TarjamaError("give both client_cert and client_key for mutual TLS, or neither")
    return grpc.ssl_channel_credentials(
        root_certificates=_read_pem(root_certificates),
        private_key=_read_pem(client_key),
        certificate_chain=_read_pem(client_cert),
    )


CHANNEL_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.primary_user_agent", f"tarjama-client-python/{__version__}"),
)


def auth_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


def health_status(status: int) -> HealthStatus:
    return HealthStatus(health_pb2.HealthCheckResponse.ServingStatus.Name(status))


class Translator:
    """A connection to one tarjama server. Thread-safe; close it (or use ``with``)."""

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        token: str | None = None,
        tls: bool = False,
        root_certificates: PemSource | None = None,
        client_cert: PemSource | None = None,
        client_key: PemSource | None = None,
        timeout: float | None = 60.0,
        retries: int | RetryPolicy = 3,
    ) -> None:
        self.address = address
        self.timeout = timeout  # seconds per call; None: no deadline
        self.retry_policy = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
        self._metadata = auth_metadata(token)
        credentials = channel_credentials(tls, root_certificates, client_cert, client_key)
        self._channel = (
            grpc.secure_channel(address, credentials, options=CHANNEL_OPTIONS)
            if credentials
            else grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
        )
        self._stub = translator_pb2_grpc.TranslatorStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    def translate(
        self,
        text: str,
        *,
        glossaries: Sequence[str] = (),
        terms: TermsArgument = (),
        beam_size: int = 0,
        alignment: bool = False,
        unconstrained: bool = False,
        no_default_glossaries: bool = False,
        term_spans_exclude_clitics: bool = False,
        skip_cache: bool = False,
        request_id: str = "",
        timeout: float | None = None,
    ) -> Translation:
        """Translates one Arabic document. ``terms``: Term objects or {arabic: english}."""
        options = TranslateOptions(
            beam_size,
            alignment,
            unconstrained,
            no_default_glossaries,
            term_spans_exclude_clitics,
            skip_cache,
        )
        request = translate_request(
            text, glossaries=glossaries, terms=terms, options=options, request_id=request_id
        )
        return translation_from_proto(self._call(self._stub.Translate, request, timeout))

    def translate_stream(
        self,
        documents: Iterable[str | Document],
        *,
        glossaries: Sequence[str] = (),
        terms: TermsArgument = (),
        options: TranslateOptions = DEFAULT_OPTIONS,
        timeout: float | None = None,
    ) -> Iterator[Translation]:
        """Translates documents over one stream, yielding results in input order.

        ``documents`` is read lazily, so it may be a generator. The stream has no deadline
        unless ``timeout`` (seconds for the whole stream) is given, and is not retried:
        a failure raises after the translations already yielded.
        """
        terms = terms_from_argument(terms)
        requests = (
            document_request(document, glossaries, terms, options) for document in documents
        )
        responses = self._stub.TranslateStream(requests, timeout=timeout, metadata=self._metadata)
        try:
            for response in responses:
                yield translation_from_proto(response)
        except grpc.RpcError as error:
            raise error_from_rpc(error, self.address) from error
        finally:
            responses.cancel()  # the caller stopped early: end the call on the server too

    def list_glossaries(self, *, timeout: float | None = None) -> list[GlossaryInfo]:
        response = self._call(self._stub.ListGlossaries, pb.ListGlossariesRequest(), timeout)
        return [glossary_info_from_proto(glossary) for glossary in response.glossaries]

    def get_glossary(self, name: str, *, timeout: float | None = None) -> Glossary:
        request = pb.GetGlossaryRequest(name=name)
        return glossary_from_proto(self._call(self._stub.GetGlossary, request, timeout))

    def put_glossary(
        self, glossary: str | Glossary, *, expected_version: int = 0, timeout: float | None = None
    ) -> Glossary:
        """Creates or replaces a glossary from YAML text or a Glossary; returns it stored."""
        request = (
            pb.PutGlossaryRequest(yaml=glossary, expected_version=expected_version)
            if isinstance(glossary, str)
            else pb.PutGlossaryRequest(
                glossary=glossary_to_proto(glossary), expected_version=expected_version
            )
        )
        return glossary_from_proto(self._call(self._stub.PutGlossary, request, timeout))

    def delete_glossary(
        self, name: str, *, expected_version: int = 0, timeout: float | None = None
    ) -> int:
        """Deletes a glossary; returns the version that was deleted."""
        request = pb.DeleteGlossaryRequest(name=name, expected_version=expected_version)
        return self._call(self._stub.DeleteGlossary, request, timeout).version

    def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        response = self._call(self._stub.GetModelInfo, pb.GetModelInfoRequest(), timeout)
        return model_info_from_proto(response)

    def health(self, service: str = "", *, timeout: float | None = None) -> HealthStatus:
        """The standard gRPC health status; ``service`` "" is the server as a whole."""
        request = health_pb2.HealthCheckRequest(service=service)
        try:
            response = self._call(self._health.Check, request, timeout)
        except TarjamaError as error:
            if error.code is grpc.StatusCode.NOT_FOUND:
                return HealthStatus.SERVICE_UNKNOWN
            raise
        return health_status(response.status)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Translator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(
        self, method: Callable[..., Response], request: object, timeout: float | None
    ) -> Response:
        timeout = self.timeout if timeout is None else timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        retry = 0
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return method(request, timeout=remaining, metadata=self._metadata)
            except grpc.RpcError as error:
                delay = self.retry_policy.next_delay(error.code(), retry, deadline)
                if delay is None:
                    raise error_from_rpc(error, self.address) from error
            time.sleep(delay)
            retry += 1
