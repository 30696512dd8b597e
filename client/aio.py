"""The asyncio twin of :class:`tarjama.client.Translator`, on ``grpc.aio``.

Same methods, same arguments, same results and errors; each method is a coroutine and
``translate_stream`` is an async generator that accepts a plain or an async iterable.
Create it inside a running event loop and close it with ``await translator.close()``
(or ``async with``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tarjama.client.errors import TarjamaError, error_from_rpc
from tarjama.client.translator import (
    CHANNEL_OPTIONS,
    DEFAULT_ADDRESS,
    DEFAULT_OPTIONS,
    PemSource,
    RetryPolicy,
    TranslateOptions,
    auth_metadata,
    channel_credentials,
    document_request,
    health_status,
    translate_request,
)
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
from tarjama.glossary.messages import glossary_from_proto, glossary_to_proto
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc


class AsyncTranslator:
    """A ``grpc.aio`` connection to one tarjama server."""

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
        self.timeout = timeout
        self.retry_policy = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
        self._metadata = auth_metadata(token)
        credentials = channel_credentials(tls, root_certificates, client_cert, client_key)
        self._channel = (
            grpc.aio.secure_channel(address, credentials, options=CHANNEL_OPTIONS)
            if credentials
            else grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
        )
        self._stub = translator_pb2_grpc.TranslatorStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    async def translate(
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
        return translation_from_proto(await self._call(self._stub.Translate, request, timeout))

    async def translate_stream(
        self,
        documents: Iterable[str | Document] | AsyncIterable[str | Document],
        *,
        glossaries: Sequence[str] = (),
        terms: TermsArgument = (),
        options: TranslateOptions = DEFAULT_OPTIONS,
        timeout: float | None = None,
    ) -> AsyncIterator[Translation]:
        """As :meth:`Translator.translate_stream`: in order, lazily, no retry."""
        inline_terms = terms_from_argument(terms)

        async def requests() -> AsyncIterator[pb.TranslateRequest]:
            if isinstance(documents, AsyncIterable):
                async for document in documents:
                    yield document_request(document, glossaries, inline_terms, options)
            else:
                for document in documents:
                    yield document_request(document, glossaries, inline_terms, options)

        call = self._stub.TranslateStream(requests(), timeout=timeout, metadata=self._metadata)
        try:
            async for response in call:
                yield translation_from_proto(response)
        except grpc.RpcError as error:
            raise error_from_rpc(error, self.address) from error
        finally:
            call.cancel()

    async def list_glossaries(self, *, timeout: float | None = None) -> list[GlossaryInfo]:
        request = pb.ListGlossariesRequest()
        response = await self._call(self._stub.ListGlossaries, request, timeout)
        return [glossary_info_from_proto(glossary) for glossary in response.glossaries]

    async def get_glossary(self, name: str, *, timeout: float | None = None) -> Glossary:
        request = pb.GetGlossaryRequest(name=name)
        return glossary_from_proto(await self._call(self._stub.GetGlossary, request, timeout))

    async def put_glossary(
        self, glossary: str | Glossary, *, expected_version: int = 0, timeout: float | None = None
    ) -> Glossary:
        request = (
            pb.PutGlossaryRequest(yaml=glossary, expected_version=expected_version)
            if isinstance(glossary, str)
            else pb.PutGlossaryRequest(
                glossary=glossary_to_proto(glossary), expected_version=expected_version
            )
        )
        return glossary_from_proto(await self._call(self._stub.PutGlossary, request, timeout))

    async def delete_glossary(
        self, name: str, *, expected_version: int = 0, timeout: float | None = None
    ) -> int:
        request = pb.DeleteGlossaryRequest(name=name, expected_version=expected_version)
        return (await self._call(self._stub.DeleteGlossary, request, timeout)).version

    async def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        request = pb.GetModelInfoRequest()
        return model_info_from_proto(await self._call(self._stub.GetModelInfo, request, timeout))

    async def health(self, service: str = "", *, timeout: float | None = None) -> HealthStatus:
        request = health_pb2.HealthCheckRequest(service=service)
        try:
            response = await self._call(self._health.Check, request, timeout)
        except TarjamaError as error:
            if error.code is grpc.StatusCode.NOT_FOUND:
                return HealthStatus.SERVICE_UNKNOWN
            raise
        return health_status(response.status)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncTranslator:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _call(
        self, method: Callable[..., Any], request: object, timeout: float | None
    ) -> Any:
        timeout = self.timeout if timeout is None else timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        retry = 0
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await method(request, timeout=remaining, metadata=self._metadata)
            except grpc.RpcError as error:
                delay = self.retry_policy.next_delay(error.code(), retry, deadline)
                if delay is None:
                    raise error_from_rpc(error, self.address) from error
            await asyncio.sleep(delay)
            retry += 1
