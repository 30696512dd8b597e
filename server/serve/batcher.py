"""Cross-request batching: sentences of concurrent requests share CTranslate2 calls.

CTranslate2 translates 32 sentences in one call about five times faster than one at a time,
so the server must not translate each request alone. Every request gets a
:class:`RequestTranslator` (``Batcher.for_request``); its ``translate_batch`` puts the
request's sentences in one shared queue and blocks the calling (gRPC) thread until they are
translated. Dedicated worker threads take batches from the queue and run the engine; no
CTranslate2 work ever runs on a thread that serves calls.

Batches are grouped by beam size, which CTranslate2 takes per call; target prefixes are
per sentence, so they mix freely, and so do sentences with and without the word
alignment: a batch with any sentence that asked for it returns it for all (the attention
costs a few percent of a decode, a second part-full call far more), and the sentences
that did not ask get their results without it, as from a batch of their own. A batch
always holds the oldest queued
sentence of its group (nothing starves), the first sentence of the other waiting requests
(of the oldest two batches' worth, those closest in length to it), then further sentences
closest to it in length (less padding), up to ``max_batch_sentences`` and
``max_batch_tokens`` source tokens. With several workers (CTranslate2 ``inter_threads``,
batches decoded side by side) a batch takes only its share of the queue while other
workers are idle: 32 waiting sentences and two idle one-thread workers make two batches
of 16 at once, not one of 32 beside an idle core.

When a batch starts (:mod:`tarjama.server.serve.batch_policy`): at once when it is full.
Otherwise a worker waits for company where company is expected:

- the callers of the previous batch (of every batch that ended before the next one
  started, with several workers), until as many requests have arrived since as it held,
  for at most ``max_wait_ms`` or a tenth of its duration after it ended: closed-loop
  callers resubmit a moment after their batch returns, and without this wait they split
  into cohorts that alternate, each batch part full. A lone closed-loop caller is back
  at once and waits nothing;
- else, with the engine idle and a fresh arrival (the start of a burst), while requests
  keep arriving, pausing no longer than ``max_wait_ms`` for each request already waiting
  (a burst's stalls on a busy machine are not its end), for at most a twentieth of the
  batch's expected decode in all: the longest recent batch, or longer in proportion to its
  sentences (``max_wait_ms`` before any batch ran). A lone caller after a pause pays at
  most ``min(max_wait_ms, 5% of a decode)``;
- while another batch runs (``workers`` > 1), until ``max_wait_ms`` after the batch's
  oldest sentence arrived.

With one worker, sentences arriving while a batch runs queue for the next one. The policy
reads time through an injected :class:`Clock`, so tests drive it deterministically.

Deadlines are values of the batcher's clock (``time.monotonic()`` unless a test injects
one). A request whose deadline passes or whose ``is_cancelled()`` turns true while it waits
raises :class:`DeadlineExceededError` or :class:`CancelledError`, and its sentences still
queued are dropped, never translated. One watcher thread checks every waiting request's
``is_cancelled()`` every ``CANCEL_POLL_S`` (less often with more than ten waiting); a waiting
caller's thread sleeps until its request is done or its deadline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tarjama.server.serve.batch_policy import Clock, MonotonicClock
from tarjama.server.serve.batch_queue import BatchQueue
from tarjama.server.serve.batch_requests import (
    Batch,
    BatcherError,
    BatcherOptions,
    BatcherStats,
    BatcherStoppedError,
    CancelledError,
    DeadlineExceededError,
    Job,
    PendingRequest,
    QueueFullError,
    RequestTooLargeError,
)
from tarjama.server.translate.engine import (
    BatchTranslator,
    EncodedSource,
    EngineError,
    EngineResult,
)
from tarjama.tracing import stage

__all__ = [
    "BatchEngine",
    "BatchRecord",
    "Batcher",
    "BatcherError",
    "BatcherOptions",
    "BatcherStats",
    "BatcherStoppedError",
    "CancelledError",
    "Clock",
    "DeadlineExceededError",
    "MonotonicClock",
    "QueueFullError",
    "RequestTooLargeError",
    "RequestTranslator",
]

log = logging.getLogger(__name__)

# How often the watcher thread checks each waiting request's is_cancelled(): one thread for
# all (a thread per caller waking every 50 ms cost ~5% of the CPU at 64 callers), and less
# often with many waiting: a check costs ~5 us, so at most 0.1% of a core. Workers also
# check before each batch.
CANCEL_POLL_S = 0.05
CANCEL_CHECKS_PER_S = 200


class BatchEngine(BatchTranslator, Protocol):
    """What the batcher needs of an engine; :class:`tarjama.server.translate.engine.Engine` fits."""

    @property
    def options(self) -> object: ...  # needs .beam_size, the default beam width


@dataclass(frozen=True)
class BatchRecord:
    """One finished CTranslate2 call, as reported to the ``on_batch`` observer."""

    sentences: int
    tokens: int
    requests: int
    seconds: float
    beam_size: int
    with_alignment: bool


class RequestTranslator:
    """One request's view of the batcher; a BatchTranslator."""

    def __init__(
        self,
        batcher: Batcher,
        deadline: float | None,
        is_cancelled: Callable[[], bool] | None,
    ) -> None:
        self._batcher = batcher
        self._engine = batcher.engine
        self.deadline = deadline
        self.is_cancelled = is_cancelled

    def encode(self, text: str) -> EncodedSource:
        return self._engine.encode(text)

    def encode_target(self, text: str) -> list[str]:
        return self._engine.encode_target(text)

    def translate_batch(
        self,
        sources: Sequence[str | EncodedSource],
        *,
        beam_size: int | None = None,
        with_alignment: bool = False,
        target_prefixes: Sequence[Sequence[str] | None] | None = None,
        names_only: Sequence[bool] | None = None,
    ) -> list[EngineResult]:
        """Queues the sentences, waits for them, returns their results in order."""
        encoded = [s if isinstance(s, EncodedSource) else self._engine.encode(s) for s in sources]
        if target_prefixes is not None and len(target_prefixes) != len(encoded):
            raise ValueError("target_prefixes must have one entry per source")
        if names_only is not None and len(names_only) != len(encoded):
            raise ValueError("names_only must have one entry per source")
        if not encoded:
            return []
        beam = beam_size or int(self._engine.options.beam_size)  # type: ignore[attr-defined]
        prefixes = list(target_prefixes) if target_prefixes is not None else [None] * len(encoded)
        request = PendingRequest(len(encoded), self.deadline, self.is_cancelled)
        names = list(names_only) if names_only is not None else [False] * len(encoded)
        jobs = [
            Job(request, index, source, prefix, len(source.tokens), names[index])
            for index, (source, prefix) in enumerate(zip(encoded, prefixes, strict=True))
        ]
        # The model call itself runs on the batcher's thread, in a trace of its own; this
        # span shows the round in the request's trace, waiting included.
        with stage("tarjama.batcher.wait", {"tarjama.sentences": len(encoded)}):
            self._batcher._queue.submit(request, jobs, (beam, with_alignment))
            return self._batcher._await(request)


class Batcher:
    """Merges the sentences of concurrent requests into token-bounded CTranslate2 batches."""

    def __init__(
        self,
        engine: BatchEngine,
        options: BatcherOptions | None = None,
        *,
        on_batch: Callable[[BatchRecord], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``clock`` (default: ``time.monotonic``) is what deadlines and the wait policy read."""
        self.engine = engine
        self.options = options or BatcherOptions()
        self._on_batch = on_batch
        self.clock = clock or MonotonicClock()
        self._queue = BatchQueue(self.options, self.clock)
        self._workers: list[threading.Thread] = []
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        """Starts the worker threads and the cancellation watcher."""
        self._queue.open()
        for number in range(self.options.workers):
            worker = threading.Thread(
                target=self._work, name=f"tarjama-batcher-{number}", daemon=True
            )
            worker.start()
            self._workers.append(worker)
        self._watcher = threading.Thread(
            target=self._queue.watch_cancellations,
            args=(CANCEL_POLL_S, CANCEL_CHECKS_PER_S),
            name="tarjama-batcher-watch",
            daemon=True,
        )
        self._watcher.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Refuses new requests, translates everything queued, stops the workers.

        Returns False if the workers were still busy when ``timeout`` seconds passed.
        """
        self._queue.close()
        end = None if timeout is None else time.monotonic() + timeout
        threads = [*self._workers, *([self._watcher] if self._watcher else [])]
        for thread in threads:
            thread.join(None if end is None else max(0.0, end - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)

    @property
    def state(self) -> str:
        """One of new, running, stopping (draining the queue), stopped."""
        state = self._queue.state
        if state == "stopping" and not any(worker.is_alive() for worker in self._workers):
            return "stopped"
        return state

    def __enter__(self) -> Batcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def for_request(
        self,
        deadline: float | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> RequestTranslator:
        """A translator for one request. ``deadline`` is a ``time.monotonic()`` value;
        ``is_cancelled`` must be cheap and thread-safe (batcher threads call it too)."""
        return RequestTranslator(self, deadline, is_cancelled)

    def queue_depth(self) -> int:
        """Sentences waiting for a batch (not counting those being translated)."""
        return self._queue.depth()

    def stats(self) -> BatcherStats:
        return self._queue.stats()

    def _await(self, request: PendingRequest) -> list[EngineResult]:
        """Blocks the calling thread until the request is done, dropped or cancelled; it
        wakes early only at its deadline (the watcher thread notices cancellation)."""
        while not request.done.is_set():
            timeout = None
            if request.deadline is not None:  # gRPC gives a call without one a far deadline
                remaining = request.deadline - self.clock.now()
                timeout = min(max(0.0, remaining), threading.TIMEOUT_MAX)
            if request.done.wait(timeout):
                break
            reason = request.reason_to_drop(self.clock.now())
            if reason is not None:
                self._queue.drop_if_waiting(request, reason)
        if request.error is not None:
            _raise_for(request.error)
        return [result for result in request.results if result is not None]

    def _work(self) -> None:
        while (batch := self._queue.next_batch()) is not None:
            self._run(batch)

    def _run(self, batch: Batch) -> None:
        beam_size, with_alignment = batch.key
        prefixes = [job.prefix for job in batch.jobs]
        # A sentence that did not ask for the alignment (in a batch that did) needs none.
        names_only = [job.names_only or not job.aligned for job in batch.jobs]
        started = self.clock.now()
        outcome: list[EngineResult] | BaseException
        try:
            outcome = self.engine.translate_batch(
                [job.source for job in batch.jobs],
                beam_size=beam_size,
                with_alignment=with_alignment,
                target_prefixes=prefixes if any(p is not None for p in prefixes) else None,
                names_only=names_only if with_alignment and any(names_only) else None,
            )
            if len(outcome) != len(batch.jobs):
                raise EngineError(
                    f"the engine returned {len(outcome)} results for {len(batch.jobs)} sentences"
                )
        except Exception as failure:  # delivered to every request in the batch
            log.exception("batch of %d sentences failed", len(batch.jobs))
            outcome = failure
        seconds = self.clock.now() - started
        self._queue.finish(batch, outcome, seconds)
        if self._on_batch is not None:
            record = BatchRecord(
                len(batch.jobs),
                batch.tokens,
                len(batch.requests()),
                seconds,
                beam_size,
                with_alignment,
            )
            try:
                self._on_batch(record)
            except Exception:  # metrics must never break translation
                log.exception("the on_batch observer failed")


def _raise_for(error: BaseException) -> None:
    """Raises a fresh exception in each waiting thread: one instance raised by several
    threads would collect all their tracebacks."""
    if isinstance(error, QueueFullError):
        raise QueueFullError(str(error), error.retry_after_ms) from error
    if isinstance(error, BatcherError | EngineError):
        raise type(error)(str(error)) from error
    raise BatcherError(f"translation failed: {error}") from error
