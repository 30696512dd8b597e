"""What happens to requests before the servicer reads them: parsing that never raises,
and the sentence budget that paces one TranslateStream.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError, Message

from tarjama.server.serve.messages import RpcFailure, invalid_argument
from tarjama.v1 import translator_pb2 as pb

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Translator"].full_name


class SentenceBudget:
    """Sentences one TranslateStream may have translating at once. A request that would
    go over waits for the stream's earlier ones (the stream slows down and, its read-ahead
    slots taken, stops reading) instead of failing in a queue it filled itself. One request
    alone always goes ahead: the batcher judges it against the queue like any other."""

    def __init__(self, limit: int, stop: threading.Event) -> None:
        self.stop = stop
        self._limit = limit
        self._used = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, sentences: int) -> Iterator[None]:
        with self._changed:
            while self._used and self._used + sentences > self._limit:
                if self.stop.is_set():
                    raise RpcFailure(grpc.StatusCode.CANCELLED, "the stream ended")
                self._changed.wait(0.2)
            self._used += sentences
        try:
            yield
        finally:
            with self._changed:
                self._used -= sentences
                self._changed.notify_all()


@dataclass(frozen=True)
class Undecodable:
    """A request whose bytes did not parse (e.g. a string field that is not UTF-8)."""

    message_type: str
    error: str

    def failure(self) -> RpcFailure:
        return invalid_argument(
            f"the {self.message_type} could not be parsed ({self.error}): string fields must "
            "be valid UTF-8; send the text as UTF-8"
        )


def add_to_server(service: Any, server: grpc.Server) -> None:
    """Registers ``service`` as the generated ``add_TranslatorServicer_to_server`` does,
    but with request parsers that never raise: gRPC answers a parser's exception with
    INTERNAL and a traceback in the log per request, whereas a request that does not parse
    is the client's mistake (INVALID_ARGUMENT) and gets the usual request log line.

    ``service`` is the servicer; its ``refuse_undecodable(method, request, context)``
    answers a unary request that did not parse."""
    handlers = {}
    for method in pb.DESCRIPTOR.services_by_name["Translator"].methods:
        request_type = getattr(pb, method.input_type.name)
        response_type = getattr(pb, method.output_type.name)
        parse = _lenient_parser(request_type)
        behaviour = getattr(service, method.name)
        if method.client_streaming:  # TranslateStream: _stream_one answers Undecodable
            handlers[method.name] = grpc.stream_stream_rpc_method_handler(
                behaviour, parse, response_type.SerializeToString
            )
        else:
            handlers[method.name] = grpc.unary_unary_rpc_method_handler(
                _refusing_undecodable(service, method.name, behaviour),
                parse,
                response_type.SerializeToString,
            )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)


def _lenient_parser(message_type: type[Message]) -> Callable[[bytes], Message | Undecodable]:
    def parse(data: bytes) -> Message | Undecodable:
        try:
            return message_type.FromString(data)
        except DecodeError as error:
            return Undecodable(message_type.DESCRIPTOR.name, str(error))

    return parse


def _refusing_undecodable(
    service: Any, name: str, behaviour: Callable[[Any, Any], Any]
) -> Callable[[Any, grpc.ServicerContext], Any]:
    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        if isinstance(request, Undecodable):
            return service.refuse_undecodable(name, request, context)
        return behaviour(request, context)

    return handle
