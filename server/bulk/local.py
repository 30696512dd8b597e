"""Rows translated in this process by the server's own servicer, without gRPC.

Each row becomes the TranslateRequest a client would send and goes through the servicer's
Translate in process, so a row meets every check and limit the server applies
(characters, sentences, glossary names, mime type) before any work, and a row the
server would refuse is a failed row with the server's message. Several documents are in
flight at once (``jobs`` threads), so the batcher merges their sentences into full
CTranslate2 batches, sorted by length, as it does for concurrent calls to the server.
Each result row carries the TranslateResponse the server would give for the document.

The job is the queue's only producer and keeps at most ``jobs`` documents in flight, so
the queue is sized for them (``jobs`` x ``max_sentences``): a row is never refused
because the job's own other rows filled the queue.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, NoReturn, cast

import grpc
from google.protobuf import json_format

from tarjama.server.bulk.rows import failed_row, row_problem
from tarjama.server.bulk.threads import default_jobs, for_throughput
from tarjama.server.serve.app import build_backend, load_engine
from tarjama.server.serve.config import ServerConfig, physical_cores
from tarjama.server.serve.messages import MAX_REQUEST_ID
from tarjama.server.serve.metrics import NullMetrics
from tarjama.server.serve.service import Backend, TranslatorService
from tarjama.server.translate.engine import Engine
from tarjama.v1 import translator_pb2 as pb

Row = dict[str, Any]


class BulkTranslator:
    """One model with its backend, and at most ``jobs`` documents in flight on it, however
    many :meth:`translate_rows` run at once (a Ray actor runs several); None: enough to
    keep every batcher worker's next batch full (:func:`.threads.default_jobs`)."""

    def __init__(
        self,
        config: ServerConfig,
        engine: Engine | None = None,
        *,
        document_terms: bool = True,
        jobs: int | None = None,
    ) -> None:
        self.jobs = jobs or default_jobs(config)
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")
        queue = max(config.max_queue_sentences, self.jobs * config.max_sentences)
        self.config = replace(config, max_queue_sentences=queue)
        self.document_terms = document_terms  # False: names left as the model wrote them
        self.backend: Backend = build_backend(
            self.config, engine or load_engine(self.config), NullMetrics()
        )
        self._service = TranslatorService(self.config)
        self._service.attach(self.backend)
        self._in_flight = threading.BoundedSemaphore(self.jobs)

    def close(self) -> None:
        self._service.close()
        self.backend.batcher.stop(timeout=5.0)

    def __enter__(self) -> BulkTranslator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def translate_rows(self, rows: Iterable[Row]) -> Iterator[Row]:
        """The result rows, in input order."""
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="tarjama-bulk") as pool:
            pending: deque[Future[Row]] = deque()
            for row in rows:
                pending.append(pool.submit(self.translate_row, row))
                while len(pending) > 2 * self.jobs:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def translate_row(self, row: Row) -> Row:
        """One document's result row; a failure is a failed row, never an exception."""
        with self._in_flight:
            return self._translate_row(row)

    def _translate_row(self, row: Row) -> Row:
        identifier = str(row["id"])
        problem = row_problem(row)
        if problem:
            return failed_row(identifier, problem)
        try:
            response = self._service.Translate(
                translate_request(row, document_terms=self.document_terms), _ROW_CALL
            )
        except RowRefused as refusal:
            return failed_row(identifier, refusal.message)
        except Exception as error:  # a bad document must not stop a million-row job
            return failed_row(identifier, f"{type(error).__name__}: {error}")
        # The row's id, not a request id: it is already checked, and may be a long path.
        response.request_id = identifier[-MAX_REQUEST_ID:]
        as_json = json_format.MessageToDict(response, preserving_proto_field_name=True)
        return {
            "id": identifier,
            "ok": True,
            "error": "",
            "translation": response.translation,
            "sentences": len(response.sentences),
            "term_hits": response.stats.term_hits,
            "response": json.dumps(as_json, ensure_ascii=False),
        }


def translate_request(row: Row, *, document_terms: bool = True) -> pb.TranslateRequest:
    """What a client would send for the row (see :func:`row_problem` for its fields).

    No ``glossaries`` means the server's defaults; an empty list means none.
    ``document_terms=False`` is the job's ``--no-document-terms``.
    """
    glossaries = row.get("glossaries")
    none_named = glossaries is not None and not glossaries
    return pb.TranslateRequest(
        text=row["text"],
        glossaries=glossaries or (),
        mime_type=row.get("mime_type") or "",
        options=pb.TranslateOptions(
            no_default_glossaries=none_named, no_document_terms=not document_terms
        ),
    )


class RowRefused(Exception):
    """The servicer ended a row's call with a status: the row failed with its message."""

    def __init__(self, status: grpc.Status) -> None:
        super().__init__(status.details)
        self.message: str = status.details


class _RowCall:
    """The call context the servicer's Translate uses, for a row: no deadline, never
    cancelled, and ending the call raises :class:`RowRefused`. Those three methods are all
    of ``grpc.ServicerContext`` that Translate reads."""

    def time_remaining(self) -> float | None:
        return None

    def is_active(self) -> bool:
        return True

    def abort_with_status(self, status: grpc.Status) -> NoReturn:
        raise RowRefused(status)


_ROW_CALL = cast(grpc.ServicerContext, _RowCall())


def run_local(
    rows: Iterable[Row],
    write: Callable[[Row], None],
    config: ServerConfig,
    *,
    jobs: int | None = None,
    document_terms: bool = True,
    on_row: Callable[[Row], None] | None = None,
) -> None:
    """``tarjama batch`` in this process: the machine's cores laid out for throughput
    (:mod:`.threads`); ``jobs`` documents in flight (None: enough for every thread)."""
    config = for_throughput(config, physical_cores())
    with BulkTranslator(config, document_terms=document_terms, jobs=jobs) as translator:
        for result in translator.translate_rows(rows):
            write(result)
            if on_row:
                on_row(result)
