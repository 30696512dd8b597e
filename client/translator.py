"""The Python client of the tarjama server: a thin typed wrapper over the gRPC stub.

    with Translator("localhost:50051") as translator:
        result = translator.translate(text, terms={"جبهة النصرة": "Nusra Front"})
        for pair in result.sentences:
            print(pair.source, "→", pair.target)

Calls have a deadline (``timeout`` seconds, per call or for the client). Read-only calls
are retried by the channel when the server is UNAVAILABLE (starting, stopping,
unreachable) or CANCELLED a call it never ran (its graceful shutdown began), with
exponential backoff and jitter, and never on any other status, since those would fail
the same way again; glossary writes are never retried (see
:mod:`tarjama.client.calls`). Failures raise the :mod:`tarjama.client.errors` hierarchy
with the server's message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2_grpc

from tarjama.client import calls
from tarjama.client.calls import (
    DEFAULT_ADDRESS,
    DEFAULT_OPTIONS,
    PemSource,
    RetryPolicy,
    TermsArgument,
    TranslateOptions,
)
from tarjama.client.documents import Piece, join_translations, plan_pieces
from tarjama.client.errors import error_from_rpc
from tarjama.glossary import Glossary
from tarjama.results import Document, GlossaryInfo, HealthStatus, Limits, ModelInfo, Translation
from tarjama.v1 import translator_pb2_grpc
from tarjama.wire import translation_from_proto

__all__ = ["DEFAULT_ADDRESS", "RetryPolicy", "TranslateOptions", "Translator"]

R = TypeVar("R")


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
        self.retry_policy = calls.retry_policy(retries)
        self._metadata = calls.auth_metadata(token)
        self._channel = calls.open_channel(
            grpc,
            address,
            tls=tls,
            root_certificates=root_certificates,
            client_cert=client_cert,
            client_key=client_key,
            retry_policy=self.retry_policy,
        )
        self._stub = translator_pb2_grpc.TranslatorStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._limits: Limits | None = None

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
        document_terms: bool = True,
        request_id: str = "",
        mime_type: str = "",
        timeout: float | None = None,
    ) -> Translation:
        """Translates one Arabic document. ``terms``: Term objects or {arabic: english};
        ``document_terms=False`` leaves a name the model wrote two ways as it wrote it."""
        options = TranslateOptions(
            beam_size=beam_size,
            include_alignment=alignment,
            include_unconstrained=unconstrained,
            no_default_glossaries=no_default_glossaries,
            term_spans_exclude_clitics=term_spans_exclude_clitics,
            skip_cache=skip_cache,
            no_document_terms=not document_terms,
        )
        request = calls.translate_request(
            text,
            glossaries=glossaries,
            terms=terms,
            options=options,
            request_id=request_id,
            mime_type=mime_type,
        )
        return self._run(calls.translate(request), timeout)

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
        terms = calls.terms_from_argument(terms)
        requests = (
            calls.document_request(document, glossaries, terms, options) for document in documents
        )
        responses = self._stub.TranslateStream(requests, timeout=timeout, metadata=self._metadata)
        try:
            for response in responses:
                yield translation_from_proto(response)
        except grpc.RpcError as error:
            raise error_from_rpc(error, self.address) from error
        finally:
            responses.cancel()  # the caller stopped early: end the call on the server too

    def translate_document(
        self,
        text: str,
        *,
        glossaries: Sequence[str] = (),
        terms: TermsArgument = (),
        options: TranslateOptions = DEFAULT_OPTIONS,
        request_id: str = "",
        mime_type: str = "",
        timeout: float | None = None,
        on_progress: Callable[[int], None] | None = None,
        pieces: Sequence[Piece] | None = None,
    ) -> Translation:
        """Translates a document of any length: in one request when it fits the server's
        limits, else in pieces over one stream (see :mod:`tarjama.client.documents`), with
        spans into the whole ``text`` either way. ``on_progress(sentences)`` is called as
        each piece's sentences are done; ``timeout`` bounds the whole document. A page
        (``mime_type`` "text/html") is sent whole: its markup is not cut into pieces.
        ``pieces``: the plan of ``text`` from :func:`~tarjama.client.documents.plan_pieces`
        under these limits, when the caller made it already (to count the sentences first)."""
        html = mime_type == "text/html"
        if html:
            pieces = []
        elif pieces is None:
            pieces = plan_pieces(text, self.limits())
        if html or len(pieces) == 1:
            request = calls.translate_request(
                text,
                glossaries=glossaries,
                terms=terms,
                options=options,
                request_id=request_id,
                mime_type=mime_type,
            )
            translation = self._run(calls.translate(request), timeout)
            if on_progress:
                on_progress(translation.stats.sentences)
            return translation
        documents = [Document(text[p.start : p.end], request_id) for p in pieces]
        translations = []
        for translation in self.translate_stream(
            documents, glossaries=glossaries, terms=terms, options=options, timeout=timeout
        ):
            translations.append(translation)
            if on_progress:
                on_progress(translation.stats.sentences)
        return join_translations(text, pieces, translations, request_id)

    def limits(self) -> Limits:
        """The server's request limits (asked once per client)."""
        if self._limits is None:
            self._limits = (self.model_info()).limits
        return self._limits

    def list_glossaries(self, *, timeout: float | None = None) -> list[GlossaryInfo]:
        return self._run(calls.list_glossaries(), timeout)

    def get_glossary(self, name: str, *, timeout: float | None = None) -> Glossary:
        return self._run(calls.get_glossary(name), timeout)

    def put_glossary(
        self, glossary: str | Glossary, *, expected_version: int = 0, timeout: float | None = None
    ) -> Glossary:
        """Creates or replaces a glossary from YAML text or a Glossary; returns it stored."""
        return self._run(calls.put_glossary(glossary, expected_version), timeout)

    def delete_glossary(
        self, name: str, *, expected_version: int = 0, timeout: float | None = None
    ) -> int:
        """Deletes a glossary; returns the version that was deleted."""
        return self._run(calls.delete_glossary(name, expected_version), timeout)

    def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        return self._run(calls.model_info(), timeout)

    def health(self, service: str = "", *, timeout: float | None = None) -> HealthStatus:
        """The standard gRPC health status; ``service`` "" is the server as a whole."""
        try:
            response = self._health.Check(
                calls.health_request(service),
                timeout=self.timeout if timeout is None else timeout,
                metadata=self._metadata,
            )
        except grpc.RpcError as error:
            if error.code() is grpc.StatusCode.NOT_FOUND:
                return HealthStatus.SERVICE_UNKNOWN
            raise error_from_rpc(error, self.address) from error
        return calls.health_status(response.status)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Translator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, call: calls.Call[R], timeout: float | None) -> R:
        method = getattr(self._stub, call.method)
        try:
            response = method(
                call.request,
                timeout=self.timeout if timeout is None else timeout,
                metadata=self._metadata,
            )
        except grpc.RpcError as error:
            raise error_from_rpc(error, self.address) from error
        return call.convert(response)
