"""The ``tarjama.v1.Translator`` servicer: requests checked, translated, answered.

Each RPC runs on a gRPC worker thread. Translate checks the request against the limits
in force, resolves the glossaries into a (cached) matcher, and hands the document to the
pipeline with a per-request view of the batcher, so the thread only waits while the
batcher's workers run CTranslate2 together with other requests' sentences. Domain errors
become status codes here and nowhere else; every call writes one request log line, and so
does a request that cannot even be parsed (see :func:`add_to_server`).
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import grpc

from tarjama.glossary import Term, validate_terms
from tarjama.server.serve import batcher as batching
from tarjama.server.serve.config import ServerConfig
from tarjama.server.serve.logs import CallLog, RequestRecord
from tarjama.server.serve.messages import (
    RpcFailure,
    checked_request_id,
    glossary_from_proto,
    glossary_status,
    glossary_to_proto,
    invalid_argument,
    pipeline_options,
    problem_summary,
    queue_full,
    response_to_proto,
    unavailable,
    unknown_glossary_status,
)
from tarjama.server.serve.requests import SentenceBudget, Undecodable
from tarjama.server.stores.glossaries import (
    GlossaryStore,
    UnknownGlossaryError,
)
from tarjama.server.translate.html import HTML, MIME_TYPES, PLAIN, translate_html
from tarjama.server.translate.markup import MarkupDocument, extract
from tarjama.server.translate.pipeline import Pipeline
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc as pb_grpc
from tarjama.wire import term_from_proto

MAX_NAME_SHOWN = 64  # characters of a name an error message repeats
log = logging.getLogger(__name__)
T = TypeVar("T")
Admit = Callable[[int], AbstractContextManager[object]]
SHUTTING_DOWN = "the server is shutting down: retry, on another replica if there is one"


@dataclass(frozen=True)
class Backend:
    """What the servicer needs once the model and glossaries are loaded."""

    pipeline: Pipeline
    batcher: batching.Batcher
    glossaries: GlossaryStore
    model_info: pb.ModelInfo


class TranslatorService(pb_grpc.TranslatorServicer):
    """Answers UNAVAILABLE until :meth:`attach` gives it a loaded backend."""

    def __init__(self, config: ServerConfig, call_log: CallLog | None = None) -> None:
        self._config = config
        self.call_log = call_log or CallLog()
        self._backend: Backend | None = None
        # What a starting server says it is doing, in the UNAVAILABLE of its early calls.
        self.starting = "loading the model and glossaries"
        self._refusing = threading.local()  # set on the thread that drains at shutdown
        # TranslateStream translates the requests it has read ahead on these threads.
        self._stream_workers = ThreadPoolExecutor(
            max_workers=config.rpc_threads, thread_name_prefix="tarjama-stream"
        )

    def attach(self, backend: Backend) -> None:
        self._backend = backend

    @contextmanager
    def refusing(self) -> Iterator[None]:
        """Calls that start on this thread meanwhile answer UNAVAILABLE (retryable) at
        once: at shutdown, for the calls still waiting for a thread."""
        self._refusing.on = True
        try:
            yield
        finally:
            self._refusing.on = False

    def close(self) -> None:
        self._stream_workers.shutdown(wait=False, cancel_futures=True)

    # -- RPCs ------------------------------------------------------------------------------

    def Translate(self, request: pb.TranslateRequest, context: grpc.ServicerContext) -> Any:
        record = RequestRecord("Translate")
        return self._call(record, context, lambda: self._translate(request, context, record))

    def TranslateStream(
        self, request_iterator: Iterator[pb.TranslateRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.TranslateResponse]:
        stop = threading.Event()
        pending: queue.Queue[Future[pb.TranslateResponse] | None] = queue.Queue()
        slots = threading.Semaphore(self._config.stream_read_ahead)
        # One stream's read-ahead must never fill the queue all clients share.
        budget = SentenceBudget(max(1, self._config.max_queue_sentences // 2), stop)
        # The reader and the workers run in the call's context, so a trace (contextvars)
        # follows the stream's documents into their stages.
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._read_stream, request_iterator, context, pending, slots, budget),
            name="tarjama-stream-reader",
            daemon=True,
        ).start()
        try:
            while (future := pending.get()) is not None:
                try:
                    response = future.result()
                except RpcFailure as failure:
                    _abort(context, failure)
                slots.release()
                yield response
        finally:
            stop.set()  # ends the reader, and the requests still translating leave the queue

    def ListGlossaries(self, request: pb.ListGlossariesRequest, context: Any) -> Any:
        def work() -> pb.ListGlossariesResponse:
            store = self._ready().glossaries
            listed = [glossary_to_proto(s, with_terms=False) for s in store.list()]
            # Files that never loaded are listed too, so that whoever broke one sees why.
            listed += [pb.Glossary(name=n, load_error=why) for n, why in store.broken()]
            listed.sort(key=lambda glossary: glossary.name)
            return pb.ListGlossariesResponse(glossaries=listed)

        return self._call(RequestRecord("ListGlossaries"), context, work)

    def GetGlossary(self, request: pb.GetGlossaryRequest, context: Any) -> Any:
        def work() -> pb.Glossary:
            store = self._ready().glossaries
            return glossary_to_proto(
                glossary_status(lambda: store.get(request.name)), with_terms=True
            )

        return self._call(RequestRecord("GetGlossary"), context, work)

    def PutGlossary(self, request: pb.PutGlossaryRequest, context: Any) -> Any:
        def work() -> pb.Glossary:
            store = self._ready().glossaries
            content = request.WhichOneof("content")
            if content == "yaml":
                stored = glossary_status(
                    lambda: store.put_yaml(request.yaml, request.expected_version)
                )
            elif content == "glossary":
                glossary = glossary_from_proto(request.glossary)
                stored = glossary_status(lambda: store.put(glossary, request.expected_version))
            else:
                raise RpcFailure(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "PutGlossaryRequest has no content: set `glossary` or `yaml`",
                )
            log.info("glossary %s: version %d stored by PutGlossary", stored.name, stored.version)
            return glossary_to_proto(stored, with_terms=True)

        return self._call(RequestRecord("PutGlossary"), context, work)

    def DeleteGlossary(self, request: pb.DeleteGlossaryRequest, context: Any) -> Any:
        def work() -> pb.DeleteGlossaryResponse:
            store = self._ready().glossaries
            if request.name in self._config.default_glossaries:
                raise RpcFailure(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"glossary {request.name!r} is one of the server's default glossaries "
                    "(default_glossaries): remove it from that setting before deleting it",
                )
            version = glossary_status(lambda: store.delete(request.name, request.expected_version))
            log.info("glossary %s: version %d deleted", request.name, version)
            return pb.DeleteGlossaryResponse(name=request.name, version=version)

        return self._call(RequestRecord("DeleteGlossary"), context, work)

    def GetModelInfo(self, request: pb.GetModelInfoRequest, context: Any) -> Any:
        return self._call(RequestRecord("GetModelInfo"), context, lambda: self._ready().model_info)

    # -- Translate -------------------------------------------------------------------------

    def _translate(
        self,
        request: pb.TranslateRequest,
        context: grpc.ServicerContext,
        record: RequestRecord,
        stream_stopped: Callable[[], bool] = lambda: False,
        admit: Admit = lambda sentences: nullcontext(),
    ) -> pb.TranslateResponse:
        started = time.perf_counter()
        backend = self._ready()
        record.request_id = checked_request_id(request.request_id)
        text = request.text
        # The cheap checks first: nothing costs more than reading the request until they pass.
        # A page's limit is on its text, what is translated; its markup (scripts, styles)
        # is bounded by the message size alone.
        if request.mime_type != HTML:
            self._check_text(text)
        options = pipeline_options(
            request.options, self._config.max_beam_size, self._config.beam_size
        )
        names = self._glossary_names(request)
        terms = self._inline_terms(request.terms)
        markup = self._markup(request)
        if markup is not None:
            self._check_text(markup.text, "the page's text")
        sentences = backend.pipeline.segment(markup.text if markup else text)
        self._check_sentences(len(sentences))
        try:
            matcher, versions = backend.glossaries.matcher(names, terms)
        except UnknownGlossaryError as error:
            raise unknown_glossary_status(
                error, names, from_request=bool(request.glossaries)
            ) from None
        remaining = context.time_remaining()
        translator = backend.batcher.for_request(
            deadline=None if remaining is None else time.monotonic() + remaining,
            is_cancelled=lambda: stream_stopped() or not context.is_active(),
        )
        try:
            with admit(len(sentences)):
                if markup is not None:
                    document = translate_html(
                        backend.pipeline,
                        text,
                        translator=translator,
                        matcher=matcher,
                        options=options,
                        document=markup,
                        sentences=sentences,
                    )
                else:
                    document = backend.pipeline.translate(
                        text,
                        translator=translator,
                        matcher=matcher,
                        options=options,
                        sentences=sentences,
                    )
        except batching.QueueFullError as error:
            raise queue_full(
                f"the translation queue is full: retry in {error.retry_after_ms} ms",
                error.retry_after_ms,
            ) from None
        except batching.DeadlineExceededError:
            raise RpcFailure(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                "the deadline expired before the translation finished: allow more time, or "
                "send fewer sentences per request",
            ) from None
        except batching.RequestTooLargeError as error:
            raise invalid_argument(str(error), "text") from None
        except batching.BatcherStoppedError:
            raise unavailable(SHUTTING_DOWN) from None
        except batching.CancelledError:
            remaining = context.time_remaining()
            if remaining is not None and remaining <= 0:  # gRPC ended the call at its deadline
                raise RpcFailure(
                    grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline expired"
                ) from None
            raise RpcFailure(grpc.StatusCode.CANCELLED, "the call was cancelled") from None
        record.sentences = len(document.sentences)
        return response_to_proto(
            request_id=record.request_id,
            model=backend.model_info.name,
            text=text,
            document=document,
            glossaries=versions,
            elapsed_ms=round((time.perf_counter() - started) * 1000),
        )

    def _markup(self, request: pb.TranslateRequest) -> MarkupDocument | None:
        """The page's extracted text for an HTML request; None for plain text."""
        mime_type = request.mime_type or PLAIN
        if mime_type not in MIME_TYPES:
            raise invalid_argument(
                f"mime_type {mime_type[:64]!r} is not supported: use text/plain or text/html",
                "mime_type",
            )
        if mime_type != HTML:
            return None
        document = extract(request.text)
        if not document.text.strip():
            raise invalid_argument("the HTML has no text to translate", "text")
        return document

    def _inline_terms(self, messages: Sequence[pb.Term]) -> tuple[Term, ...]:
        limit = self._config.max_inline_terms
        if len(messages) > limit:
            raise invalid_argument(
                f"{len(messages)} inline terms is over the limit of {limit}: put the terms in "
                "a server glossary (PutGlossary) and name it in `glossaries`",
                "terms",
            )
        terms = tuple(term_from_proto(message) for message in messages)
        problems = validate_terms(terms, "terms")
        if problems:
            raise invalid_argument(problem_summary(problems), "terms")
        return terms

    def _glossary_names(self, request: pb.TranslateRequest) -> tuple[str, ...]:
        if not request.glossaries:
            return () if request.options.no_default_glossaries else self._config.default_glossaries
        names = tuple(request.glossaries)
        repeated = sorted(name for name, count in Counter(names).items() if count > 1)
        if repeated:
            shown = ", ".join(repr(name[:MAX_NAME_SHOWN]) for name in repeated[:3])
            more = f" (and {len(repeated) - 3} others)" if len(repeated) > 3 else ""
            raise invalid_argument(
                f"glossaries names {shown}{more} more than once: name each once", "glossaries"
            )
        return names

    def _check_text(self, text: str, what: str = "text") -> None:
        limit = self._config.max_characters
        if len(text) > limit:
            raise invalid_argument(
                f"{what} has {len(text)} characters, over the limit of {limit}: split the "
                "document into several requests",
                "text",
            )
        if not text.strip():
            raise invalid_argument(
                "text is empty: send the Arabic document in TranslateRequest.text", "text"
            )

    def _check_sentences(self, sentences: int) -> None:
        if sentences > self._config.max_sentences:
            raise invalid_argument(
                f"text has {sentences} sentences, over the limit of "
                f"{self._config.max_sentences}: split the document into several requests",
                "text",
            )

    # -- TranslateStream -------------------------------------------------------------------

    def _read_stream(
        self,
        requests: Iterator[pb.TranslateRequest],
        context: grpc.ServicerContext,
        pending: queue.Queue[Future[pb.TranslateResponse] | None],
        slots: threading.Semaphore,
        budget: SentenceBudget,
    ) -> None:
        """Reads requests while read-ahead slots are free: a client that does not read its
        responses stops being read, and HTTP/2 flow control then stops its sends."""
        stop = budget.stop
        try:
            for request in requests:
                while not slots.acquire(timeout=0.2):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                in_call = contextvars.copy_context().run
                work = self._stream_workers.submit(
                    in_call, self._stream_one, request, context, budget
                )
                pending.put(work)
        except grpc.RpcError:
            pass  # the client went away; the responder sees the call end
        except Exception:
            log.exception("reading a TranslateStream failed")
        finally:
            pending.put(None)

    def _stream_one(
        self,
        request: pb.TranslateRequest | Undecodable,
        context: grpc.ServicerContext,
        budget: SentenceBudget,
    ) -> pb.TranslateResponse:
        record = RequestRecord("TranslateStream")
        with self.call_log.call(record):
            if isinstance(request, Undecodable):
                raise request.failure()
            return _as_failure(
                lambda: self._translate(request, context, record, budget.stop.is_set, budget.hold)
            )

    # -- plumbing --------------------------------------------------------------------------

    def refuse_undecodable(
        self, method: str, request: Undecodable, context: grpc.ServicerContext
    ) -> NoReturn:
        """Answers a request that did not parse (see ``requests.add_to_server``)."""
        failure = request.failure()

        def work() -> NoReturn:
            raise failure

        self._call(RequestRecord(method), context, work)
        raise AssertionError("_call aborts the call")

    def _ready(self) -> Backend:
        if getattr(self._refusing, "on", False):
            raise unavailable(SHUTTING_DOWN)
        if self._backend is None:
            raise RpcFailure(
                grpc.StatusCode.UNAVAILABLE,
                f"the server is starting ({self.starting}): retry shortly",
            )
        return self._backend

    def _call(
        self, record: RequestRecord, context: grpc.ServicerContext, work: Callable[[], T]
    ) -> T:
        with self.call_log.call(record):
            try:
                return _as_failure(work)
            except RpcFailure as failure:
                record.status = failure.code.name
                _abort(context, failure)


def _as_failure(work: Callable[[], T]) -> T:
    """Runs `work`; any unexpected error becomes INTERNAL (logged with its traceback), so
    nothing a client sends can take the server down."""
    try:
        return work()
    except RpcFailure:
        raise
    except Exception as error:
        log.exception("internal error")
        raise RpcFailure(
            grpc.StatusCode.INTERNAL,
            f"internal error ({type(error).__name__}); the server log has the details",
        ) from error


def _abort(context: grpc.ServicerContext, failure: RpcFailure) -> NoReturn:
    context.abort_with_status(failure.status())
    raise AssertionError("grpc's abort returned")  # it raises; this keeps type checkers honest
