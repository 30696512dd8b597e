"""What the sync and async clients share: each call's request, its conversion, the channel.

A :class:`Call` is one RPC ready to send: the stub method's name, the request message and
how to turn the response into the library's types. :class:`tarjama.client.Translator` and
:class:`tarjama.client.AsyncTranslator` differ only in how they send it.

Retries are the channel's (gRPC's service-config retry policy, the same in every
language), and only for calls that are safe to repeat: a PutGlossary or DeleteGlossary
that reached the server but lost its answer would be applied twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import grpc
from grpc_health.v1 import health_pb2

from tarjama import __version__, wire
from tarjama.client.errors import TarjamaError
from tarjama.glossary import Glossary, Term
from tarjama.results import Document, GlossaryInfo, HealthStatus, ModelInfo, Translation
from tarjama.v1 import translator_pb2 as pb

DEFAULT_ADDRESS = "localhost:50051"
# Responses with word alignments for a long document outgrow gRPC's 4 MiB default.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
SERVICE = "tarjama.v1.Translator"
# Read-only calls; the glossary writes are left out on purpose (see the module docstring).
RETRIED_METHODS = ("Translate", "ListGlossaries", "GetGlossary", "GetModelInfo")
PemSource = bytes | str | Path
TermsArgument = Iterable[Term] | Mapping[str, str]
R = TypeVar("R")


RETRYABLE_CODES = ("UNAVAILABLE", "CANCELLED")


@dataclass(frozen=True)
class RetryPolicy:
    """How the channel retries a read-only call that failed with UNAVAILABLE or CANCELLED.

    CANCELLED is retried because a server that begins a graceful shutdown cancels the
    calls it had accepted but not yet handed to its handlers (they never ran); a call this
    client cancels itself is never retried (gRPC commits it).

    The n-th retry waits a random time up to min(max_backoff, initial_backoff *
    multiplier**n) (gRPC's jittered backoff), within the call's deadline. gRPC caps the
    attempts at 5, so ``retries`` is at most 4.
    """

    retries: int = 3
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.retries <= 4:
            raise ValueError("retries must be between 0 and 4 (gRPC allows 5 attempts)")
        if self.initial_backoff <= 0 or self.max_backoff < self.initial_backoff:
            raise ValueError("backoffs must be > 0 and max_backoff >= initial_backoff")
        if self.multiplier < 1:
            raise ValueError("multiplier must be at least 1")

    def service_config(self) -> str:
        """The channel's ``grpc.service_config`` JSON."""
        method_config: dict[str, Any] = {
            "name": [{"service": SERVICE, "method": method} for method in RETRIED_METHODS]
        }
        if self.retries:
            method_config["retryPolicy"] = {
                "maxAttempts": self.retries + 1,
                "initialBackoff": f"{self.initial_backoff}s",
                "maxBackoff": f"{self.max_backoff}s",
                "backoffMultiplier": self.multiplier,
                "retryableStatusCodes": list(RETRYABLE_CODES),
            }
        # round_robin: a target that resolves to several replicas (ipv4:A,B, a DNS name
        # with an address per replica, a headless Kubernetes Service) gets its calls
        # spread over all of them; gRPC's default, pick_first, sends all to one.
        return json.dumps(
            {"loadBalancingConfig": [{"round_robin": {}}], "methodConfig": [method_config]}
        )


@dataclass(frozen=True)
class TranslateOptions:
    """TranslateRequest.options (see translator.proto; the fields carry its names)."""

    beam_size: int = 0  # 0: the server default
    include_alignment: bool = False
    include_unconstrained: bool = False
    no_default_glossaries: bool = False
    term_spans_exclude_clitics: bool = False
    skip_cache: bool = False
    no_document_terms: bool = False  # leave names as the model wrote them

    def to_proto(self) -> pb.TranslateOptions:
        return pb.TranslateOptions(
            beam_size=self.beam_size,
            include_alignment=self.include_alignment,
            include_unconstrained=self.include_unconstrained,
            no_default_glossaries=self.no_default_glossaries,
            term_spans_exclude_clitics=self.term_spans_exclude_clitics,
            skip_cache=self.skip_cache,
            no_document_terms=self.no_document_terms,
        )


DEFAULT_OPTIONS = TranslateOptions()


@dataclass(frozen=True)
class Call(Generic[R]):
    method: str  # the stub's attribute
    request: Any
    convert: Callable[[Any], R]


def terms_from_argument(terms: TermsArgument) -> tuple[Term, ...]:
    """Inline terms given as Term objects or as a mapping {arabic: english}."""
    if isinstance(terms, Mapping):
        return tuple(Term(sources=(arabic,), target=english) for arabic, english in terms.items())
    return tuple(terms)


def translate_request(
    text: str,
    *,
    glossaries: Sequence[str] = (),
    terms: TermsArgument = (),
    options: TranslateOptions = DEFAULT_OPTIONS,
    request_id: str = "",
    mime_type: str = "",
) -> pb.TranslateRequest:
    """The TranslateRequest message for one document (``mime_type`` "text/html" for a
    page, "" or "text/plain" for text)."""
    if isinstance(glossaries, str):
        raise TypeError("glossaries is a sequence of names: write glossaries=[name]")
    return pb.TranslateRequest(
        text=text,
        glossaries=list(glossaries),
        terms=[wire.term_to_proto(term) for term in terms_from_argument(terms)],
        options=options.to_proto(),
        request_id=request_id,
        mime_type=mime_type,
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


def translate(request: pb.TranslateRequest) -> Call[Translation]:
    return Call("Translate", request, wire.translation_from_proto)


def list_glossaries() -> Call[list[GlossaryInfo]]:
    return Call(
        "ListGlossaries",
        pb.ListGlossariesRequest(),
        lambda response: [wire.glossary_info_from_proto(g) for g in response.glossaries],
    )


def get_glossary(name: str) -> Call[Glossary]:
    return Call("GetGlossary", pb.GetGlossaryRequest(name=name), wire.glossary_from_proto)


def put_glossary(glossary: str | Glossary, expected_version: int) -> Call[Glossary]:
    """From YAML text or a Glossary; the answer is the glossary as stored."""
    request = (
        pb.PutGlossaryRequest(yaml=glossary, expected_version=expected_version)
        if isinstance(glossary, str)
        else pb.PutGlossaryRequest(
            glossary=wire.glossary_to_proto(glossary), expected_version=expected_version
        )
    )
    return Call("PutGlossary", request, wire.glossary_from_proto)


def delete_glossary(name: str, expected_version: int) -> Call[int]:
    """The answer is the version that was deleted."""
    request = pb.DeleteGlossaryRequest(name=name, expected_version=expected_version)
    return Call("DeleteGlossary", request, lambda response: response.version)


def model_info() -> Call[ModelInfo]:
    return Call("GetModelInfo", pb.GetModelInfoRequest(), wire.model_info_from_proto)


def health_request(service: str) -> health_pb2.HealthCheckRequest:
    return health_pb2.HealthCheckRequest(service=service)


def health_status(status: int) -> HealthStatus:
    return HealthStatus(health_pb2.HealthCheckResponse.ServingStatus.Name(status))


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


def channel_options(retry_policy: RetryPolicy) -> tuple[tuple[str, Any], ...]:
    return (
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.primary_user_agent", f"tarjama-client-python/{__version__}"),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", retry_policy.service_config()),
    )


def open_channel(
    api: Any,
    address: str,
    *,
    tls: bool,
    root_certificates: PemSource | None,
    client_cert: PemSource | None,
    client_key: PemSource | None,
    retry_policy: RetryPolicy,
) -> Any:
    """A channel from ``api``: the ``grpc`` module for the sync client, ``grpc.aio`` for
    the async one (both have the same two channel constructors)."""
    credentials = channel_credentials(tls, root_certificates, client_cert, client_key)
    options = channel_options(retry_policy)
    if credentials:
        return api.secure_channel(address, credentials, options=options)
    return api.insecure_channel(address, options=options)


def auth_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


def retry_policy(retries: int | RetryPolicy) -> RetryPolicy:
    return retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
