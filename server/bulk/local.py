"""Rows translated in this process by the server's own backend, without gRPC.

Several documents are in flight at once (``jobs`` threads), so the batcher merges their
sentences into full CTranslate2 batches, sorted by length, as it does for concurrent
calls to the server. Each result row carries the TranslateResponse the server would give
for the same document.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from google.protobuf import json_format

from tarjama.server.bulk.rows import failed_row, row_problem
from tarjama.server.serve.app import build_backend, load_engine
from tarjama.server.serve.config import ServerConfig
from tarjama.server.serve.messages import response_to_proto
from tarjama.server.serve.metrics import NullMetrics
from tarjama.server.serve.service import Backend
from tarjama.server.stores.glossaries import GlossaryStoreError
from tarjama.server.translate.engine import Engine
from tarjama.server.translate.options import PipelineOptions

Row = dict[str, Any]


class BulkTranslator:
    """One model with its backend; :meth:`translate_rows` keeps ``jobs`` documents in flight."""

    def __init__(self, config: ServerConfig, engine: Engine | None = None) -> None:
        self.config = config
        self.backend: Backend = build_backend(config, engine or load_engine(config), NullMetrics())

    def close(self) -> None:
        self.backend.batcher.stop(timeout=5.0)

    def __enter__(self) -> BulkTranslator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def translate_rows(self, rows: Iterable[Row], *, jobs: int = 4) -> Iterator[Row]:
        """The result rows, in input order."""
        with ThreadPoolExecutor(jobs, thread_name_prefix="tarjama-bulk") as pool:
            pending: deque[Future[Row]] = deque()
            for row in rows:
                pending.append(pool.submit(self.translate_row, row))
                while len(pending) > 2 * jobs:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def translate_row(self, row: Row) -> Row:
        """One document's result row; a failure is a failed row, never an exception."""
        identifier = str(row["id"])
        problem = row_problem(row)
        if problem:
            return failed_row(identifier, problem)
        try:
            return self._translate(identifier, row["text"], row.get("glossaries"))
        except Exception as error:  # a bad document must not stop a million-row job
            return failed_row(identifier, f"{type(error).__name__}: {error}")

    def _translate(self, identifier: str, text: str, glossaries: list[str] | None) -> Row:
        started = time.perf_counter()
        backend, config = self.backend, self.config
        if len(text) > config.max_characters:
            return failed_row(
                identifier,
                f"text has {len(text)} characters, over the limit of {config.max_characters}"
                " (max_characters)",
            )
        names = tuple(glossaries) if glossaries is not None else config.default_glossaries
        try:
            matcher, versions = backend.glossaries.matcher(names, ())
        except GlossaryStoreError as error:
            return failed_row(identifier, str(error))
        sentences = backend.pipeline.segment(text)
        document = backend.pipeline.translate(
            text,
            translator=backend.batcher.for_request(),
            matcher=matcher,
            options=PipelineOptions(),
            sentences=sentences,
        )
        response = response_to_proto(
            request_id=identifier[-128:],
            model=backend.model_info.name,
            text=text,
            document=document,
            glossaries=versions,
            elapsed_ms=round((time.perf_counter() - started) * 1000),
        )
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


def run_local(
    rows: Iterable[Row],
    write: Callable[[Row], None],
    config: ServerConfig,
    *,
    jobs: int,
    on_row: Callable[[Row], None] | None = None,
) -> None:
    with BulkTranslator(config) as translator:
        for result in translator.translate_rows(rows, jobs=jobs):
            write(result)
            if on_row:
                on_row(result)
