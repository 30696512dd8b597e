"""The batcher's shared queue: which sentences wait, which go together, what it counted.

Everything here is guarded by one condition variable; :mod:`tarjama.server.serve.batcher` owns
the threads and the engine and documents the batching policy implemented here. Import the
public names from there. Time is read only through the injected clock
(:mod:`tarjama.server.serve.batch_policy`), so tests drive the queue by hand (``poll``
decides without blocking).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import replace

from tarjama.server.serve.batch_policy import (
    Clock,
    MonotonicClock,
    QueueView,
    choose_batch,
    company_wait_s,
)
from tarjama.server.serve.batch_requests import (
    COUNTERS,
    Batch,
    BatcherOptions,
    BatcherStats,
    BatcherStoppedError,
    CancelledError,
    DeadlineExceededError,
    GroupKey,
    Job,
    PendingRequest,
    QueueFullError,
    RequestTooLargeError,
)
from tarjama.server.translate.engine import EngineResult

# Retry hint when the queue is full before any batch has finished (no throughput known).
UNKNOWN_RETRY_AFTER_MS = 1000
# Batches whose speed the retry hint is estimated from.
THROUGHPUT_WINDOW = 32


class _Group:
    """Queued jobs of one beam size, in arrival order."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.jobs: list[Job] = []
        self.tokens = 0


class BatchQueue:
    """Queued sentences grouped by beam size, and the rules for taking batches from them."""

    def __init__(self, options: BatcherOptions, clock: Clock | None = None) -> None:
        self.options = options
        self.clock = clock or MonotonicClock()
        lock = threading.RLock()
        self._cond = threading.Condition(lock)  # workers wait here for a batch to start
        self._watch = threading.Condition(lock)  # the cancellation watcher sleeps here
        # Requests not done whose caller may go away (is_cancelled): one thread checks them
        # all (watch_cancellations), so a waiting caller's thread never wakes to poll.
        self._watched: dict[PendingRequest, None] = {}
        self._groups: dict[int, _Group] = {}  # by beam size
        self._queued = 0
        self._queued_per_request: dict[PendingRequest, int] = {}
        self._in_flight = 0
        self._last_batch_requests = 0
        self._last_batch_end = -math.inf
        self._last_batch_seconds = 0.0  # 0 until a batch has run: no decode time known
        self._last_arrival = -math.inf
        self._arrivals_since_end = 0  # requests queued since the last batch ended
        self._started_since_end = True  # a batch started after the last one ended
        self._recent: deque[tuple[int, float]] = deque(maxlen=THROUGHPUT_WINDOW)
        self._counters = dict.fromkeys(COUNTERS, 0)
        self.state = "new"  # new → running → stopping (drains, then workers exit)

    def open(self) -> None:
        with self._cond:
            if self.state != "new":
                raise BatcherStoppedError(f"the batcher is {self.state}; create a new one")
            self.state = "running"

    def close(self) -> None:
        """Refuses new requests; workers drain the queue, then next_batch returns None."""
        with self._cond:
            if self.state in ("new", "running"):
                self.state = "stopping"
            self._cond.notify_all()
            self._watch.notify_all()

    def depth(self) -> int:
        with self._cond:
            return self._queued

    def stats(self) -> BatcherStats:
        with self._cond:
            return BatcherStats(
                **self._counters,
                queue_depth=self._queued,
                sentences_per_second=self._throughput_locked(),
            )

    def submit(self, request: PendingRequest, jobs: list[Job], key: GroupKey) -> None:
        """Queues a request's sentences, or raises why it cannot be queued."""
        now = self.clock.now()
        reason = request.reason_to_drop(now)
        if reason is not None:
            raise reason
        capacity = self.options.max_queue_sentences
        if len(jobs) > capacity:
            raise RequestTooLargeError(
                f"{len(jobs)} sentences in one call exceed the batcher's queue "
                f"({capacity}); send fewer sentences per request or raise max_queue_sentences"
            )
        with self._cond:
            if self.state != "running":
                raise BatcherStoppedError(
                    f"the batcher is {self.state}: the server is not accepting translations; "
                    "retry once it is serving"
                )
            if self._queued + len(jobs) > capacity:
                self._counters["rejected_requests"] += 1
                retry_after_ms = self._retry_after_ms_locked(len(jobs))
                raise QueueFullError(
                    f"the translation queue is full ({self._queued} of {capacity} sentences "
                    f"waiting); retry in about {retry_after_ms} ms",
                    retry_after_ms,
                )
            beam, aligned = key
            for job in jobs:
                job.arrived = now
                job.aligned = aligned
            self._last_arrival = now
            self._arrivals_since_end += 1
            group = self._groups.setdefault(beam, _Group(beam))
            group.jobs.extend(jobs)
            group.tokens += sum(job.tokens for job in jobs)
            self._queued += len(jobs)
            self._queued_per_request[request] = len(jobs)
            if request.is_cancelled is not None:
                self._watched[request] = None
                if len(self._watched) == 1:
                    self._watch.notify_all()
            self._cond.notify_all()

    def drop_if_waiting(self, request: PendingRequest, reason: BaseException) -> None:
        """Fails a request not yet done and takes its queued sentences out of the queue."""
        with self._cond:
            if not request.done.is_set():
                self._drop_locked(request, reason)

    def watch_cancellations(self, interval_s: float, checks_per_s: float) -> None:
        """Drops the requests whose callers went away, checking each every ``interval_s``
        while any is watched, or less often when more than ``checks_per_s`` checks a second
        would be needed; runs on a thread of its own until the queue stops and none is."""
        with self._cond:
            while True:
                now = self.clock.now()
                for request in list(self._watched):
                    reason = None if request.done.is_set() else request.reason_to_drop(now)
                    if reason is not None:
                        self._drop_locked(request, reason)
                    elif request.done.is_set():
                        del self._watched[request]
                if not self._watched and self.state != "running":
                    return
                pause_s = max(interval_s, len(self._watched) / checks_per_s)
                self.clock.wait(self._watch, pause_s if self._watched else None)

    def next_batch(self) -> Batch | None:
        """Blocks until a batch should start; None once stopping with nothing queued."""
        with self._cond:
            while True:
                decision = self._poll_locked()
                if decision is None or isinstance(decision, Batch):
                    return decision
                self.clock.wait(self._cond, None if decision == math.inf else decision)

    def poll(self) -> Batch | float | None:
        """Decides now, without blocking: the batch to start (the caller must ``finish``
        it), else the seconds until one would start if nothing else arrives (``math.inf``
        with nothing queued), else None (stopping, nothing queued)."""
        with self._cond:
            return self._poll_locked()

    def _poll_locked(self) -> Batch | float | None:
        while self._queued:
            now = self.clock.now()
            group = min(
                (g for g in self._groups.values() if g.jobs), key=lambda g: g.jobs[0].arrived
            )
            wait_s = self._company_wait_locked(group, now)
            if wait_s > 0:
                return wait_s
            jobs = self._take_locked(group, now)
            if jobs:  # else all of the group's requests were dropped: look again
                self._in_flight += 1
                self._started_since_end = True
                return Batch((group.key, any(job.aligned for job in jobs)), jobs)
        return math.inf if self.state == "running" else None

    def finish(
        self, batch: Batch, results: Sequence[EngineResult] | BaseException, seconds: float
    ) -> None:
        """Hands a finished batch's results (or its failure) to its requests."""
        requests = batch.requests()
        with self._cond:
            self._in_flight -= 1
            if self._started_since_end:
                self._last_batch_requests = len(requests)
                self._arrivals_since_end = 0
            else:  # batches that ended together: all their callers are on their way back
                self._last_batch_requests += len(requests)
            self._started_since_end = False
            self._last_batch_end = self.clock.now()
            self._last_batch_seconds = seconds
            self._count_locked(batch, len(requests), seconds)
            if isinstance(results, BaseException):
                for request in requests:
                    if not request.done.is_set():
                        self._drop_locked(request, results)
            else:
                for job, result in zip(batch.jobs, results, strict=True):
                    _deliver(job, result if job.aligned else _unaligned(result))
            self._cond.notify_all()

    def _company_wait_locked(self, group: _Group, now: float) -> float:
        """Seconds to wait for more sentences before starting this group's batch."""
        options = self.options
        if self.state != "running" or len(group.jobs) >= options.max_batch_sentences:
            return 0.0
        if group.tokens >= options.max_batch_tokens:
            return 0.0
        view = QueueView(
            oldest_arrival=group.jobs[0].arrived,
            last_arrival=self._last_arrival,
            arrivals_since_end=self._arrivals_since_end,
            last_batch_end=self._last_batch_end,
            last_batch_seconds=self._last_batch_seconds,
            last_batch_requests=self._last_batch_requests,
            longest_recent_seconds=max((seconds for _, seconds in self._recent), default=0.0),
            seconds_per_sentence=self._seconds_per_sentence_locked(),
            waiting_requests=len(self._queued_per_request),
            next_batch_sentences=min(len(group.jobs), options.max_batch_sentences),
            in_flight=self._in_flight,
        )
        return company_wait_s(view, now, options.max_wait_ms)

    def _seconds_per_sentence_locked(self) -> float:
        """Of the recent batch with the most sentences: the one most like a full batch."""
        if not self._recent:
            return 0.0
        sentences, seconds = max(self._recent, key=lambda batch: batch[0])
        return seconds / sentences

    def _take_locked(self, group: _Group, now: float) -> list[Job]:
        """Removes the next batch from the group (see ``choose_batch``)."""
        for request in {job.request: None for job in group.jobs}:
            reason = request.reason_to_drop(now)
            if reason is not None:
                self._drop_locked(request, reason)
        if not group.jobs:
            return []
        options = self.options
        # Workers are CTranslate2 calls that run side by side (inter_threads): while others
        # are idle, this batch takes only its share of the queue, and they take the rest.
        idle = max(1, options.workers - self._in_flight)
        share = -(-len(group.jobs) // idle)
        limit = min(options.max_batch_sentences, share)
        batch = choose_batch(group.jobs, limit, options.max_batch_tokens)
        tokens = sum(job.tokens for job in batch)
        taken = set(map(id, batch))
        group.jobs = [job for job in group.jobs if id(job) not in taken]
        group.tokens -= tokens
        self._queued -= len(batch)
        for job in batch:
            left = self._queued_per_request[job.request] - 1
            if left:
                self._queued_per_request[job.request] = left
            else:
                del self._queued_per_request[job.request]
        return batch

    def _drop_locked(self, request: PendingRequest, reason: BaseException) -> None:
        request.error = reason
        request.done.set()
        self._watched.pop(request, None)
        if isinstance(reason, DeadlineExceededError):
            self._counters["expired_requests"] += 1
        elif isinstance(reason, CancelledError):
            self._counters["cancelled_requests"] += 1
        if self._queued_per_request.pop(request, 0):
            for group in self._groups.values():
                kept = [job for job in group.jobs if job.request is not request]
                if len(kept) != len(group.jobs):
                    self._queued -= len(group.jobs) - len(kept)
                    group.tokens = sum(job.tokens for job in kept)
                    group.jobs = kept
        self._cond.notify_all()

    def _count_locked(self, batch: Batch, requests: int, seconds: float) -> None:
        counters = self._counters
        sentences = len(batch.jobs)
        counters["batches"] += 1
        counters["sentences_translated"] += sentences
        counters["tokens_translated"] += batch.tokens
        counters["multi_request_batches"] += requests > 1
        counters["largest_batch_sentences"] = max(counters["largest_batch_sentences"], sentences)
        counters["largest_batch_requests"] = max(counters["largest_batch_requests"], requests)
        self._recent.append((sentences, seconds))

    def _retry_after_ms_locked(self, incoming: int) -> int:
        rate = self._throughput_locked()
        if not rate:
            return UNKNOWN_RETRY_AFTER_MS
        excess = self._queued + incoming - self.options.max_queue_sentences
        return max(1, math.ceil(1000 * excess / rate))

    def _throughput_locked(self) -> float | None:
        busy = sum(seconds for _, seconds in self._recent)
        if busy <= 0:
            return None
        # Workers translate side by side, so the batcher's rate is one worker's times workers.
        return sum(count for count, _ in self._recent) / busy * self.options.workers


def _unaligned(result: EngineResult) -> EngineResult:
    """A result as a batch without the alignment gives it."""
    if result.attention is None and not result.links:
        return result
    return replace(result, attention=None, links=())


def _deliver(job: Job, result: EngineResult) -> None:
    request = job.request
    if request.done.is_set():  # dropped while its batch ran: nobody is waiting
        return
    request.results[job.index] = result
    request.remaining -= 1
    if request.remaining == 0:
        request.done.set()
