"""What the batcher queues and reports: a request waiting for its sentences, each sentence
(a job), a batch of jobs, the batcher's options and counters, and its errors.

:mod:`tarjama.server.serve.batcher` re-exports the public names; import them from there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tarjama.server.translate.engine import EncodedSource, EngineResult

GroupKey = tuple[int, bool]  # (beam size, with alignment): what a request asks of its calls


class BatcherError(Exception):
    """A request could not be translated by the batcher."""


class QueueFullError(BatcherError):
    """The queue holds ``max_queue_sentences``; retry after ``retry_after_ms``."""

    def __init__(self, message: str, retry_after_ms: int) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms


class RequestTooLargeError(BatcherError):
    """A request has more sentences than the whole queue may hold."""


class DeadlineExceededError(BatcherError):
    """The request's deadline passed before its sentences were translated."""


class CancelledError(BatcherError):
    """The client cancelled the request before its sentences were translated."""


class BatcherStoppedError(BatcherError):
    """The batcher is not running (not started yet, or stopped for shutdown)."""


@dataclass(frozen=True)
class BatcherOptions:
    """How sentences are grouped into CTranslate2 calls.

    Attributes:
        max_batch_tokens: source tokens per CTranslate2 call (sum over its sentences); a
            single longer sentence still goes, alone.
        max_batch_sentences: sentences per CTranslate2 call.
        max_wait_ms: the longest pause between arrivals an idle engine waits out for
            company, and so the longest a lone caller waits (see
            tarjama.server.serve.batcher); 0 never waits.
        max_queue_sentences: sentences waiting before new requests get QueueFullError.
        workers: CTranslate2 calls in flight; match the engine's ``inter_threads``.
    """

    max_batch_tokens: int = 4096
    max_batch_sentences: int = 64
    max_wait_ms: float = 5.0
    max_queue_sentences: int = 10_000
    workers: int = 1

    def __post_init__(self) -> None:
        for name in ("max_batch_tokens", "max_batch_sentences", "max_queue_sentences", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be 0 or more, not {self.max_wait_ms}")


@dataclass(frozen=True)
class BatcherStats:
    """Counters since start, for metrics and tests."""

    batches: int
    sentences_translated: int
    tokens_translated: int
    multi_request_batches: int  # batches holding sentences of two or more requests
    largest_batch_sentences: int
    largest_batch_requests: int
    rejected_requests: int  # QueueFullError
    expired_requests: int
    cancelled_requests: int
    queue_depth: int
    sentences_per_second: float | None  # recent throughput while translating


COUNTERS = tuple(
    name
    for name in BatcherStats.__dataclass_fields__
    if name not in ("queue_depth", "sentences_per_second")
)


class PendingRequest:
    """One translate_batch call waiting for its sentences; ``done`` is set when it has
    all its results or an ``error``."""

    def __init__(
        self, size: int, deadline: float | None, is_cancelled: Callable[[], bool] | None
    ) -> None:
        self.results: list[EngineResult | None] = [None] * size
        self.remaining = size
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.deadline = deadline
        self.is_cancelled = is_cancelled

    def reason_to_drop(self, now: float) -> BaseException | None:
        """Why this request no longer wants its sentences translated, if it does not."""
        if self.deadline is not None and now >= self.deadline:
            return DeadlineExceededError("the request's deadline passed while it was queued")
        try:
            cancelled = self.is_cancelled is not None and self.is_cancelled()
        except Exception as failure:  # a broken is_cancelled fails its own request only
            return failure
        if cancelled:
            return CancelledError("the client cancelled the request while it was queued")
        return None


@dataclass(eq=False)
class Job:
    """One sentence of a request, queued."""

    request: PendingRequest
    index: int
    source: EncodedSource
    prefix: Sequence[str] | None
    tokens: int
    names_only: bool = False  # its alignment is read only for names (Engine.translate_batch)
    arrived: float = field(default=0.0, init=False)  # set by BatchQueue.submit
    aligned: bool = field(default=False, init=False)  # asked for the word alignment


@dataclass(frozen=True)
class Batch:
    """Jobs of one beam size taken together for one CTranslate2 call, with the alignment
    when any of them asked for it."""

    key: GroupKey
    jobs: list[Job]

    @property
    def tokens(self) -> int:
        return sum(job.tokens for job in self.jobs)

    def requests(self) -> list[PendingRequest]:
        return list({job.request: None for job in self.jobs})
