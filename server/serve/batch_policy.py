"""When a batch starts and what it holds: the batcher's wait-for-company rule, the choice
of sentences by length, and the clock the rule reads.

Pure functions of what the queue knows, so tests drive the rule with a hand-made clock;
:mod:`tarjama.server.serve.batcher` describes the policy as a whole.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

# Callers of the last batch are awaited at most this share of its duration (or
# max_wait_ms if longer): idle waiting costs at most about this share of throughput.
RETURN_WAIT_SHARE = 0.1
# An idle engine waits for company at most this share of the decode it waits to start (and
# a lone request no longer than max_wait_ms): a lone caller pays at most that.
COMPANY_WAIT_SHARE = 0.05


class Clock(Protocol):
    """Time as the batching policy sees it: monotonic seconds, and a wait on the queue's
    condition that ends when notified or after ``timeout`` seconds (None: when notified)."""

    def now(self) -> float: ...

    def wait(self, condition: threading.Condition, timeout: float | None) -> None: ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` (request deadlines are values of it)."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, condition: threading.Condition, timeout: float | None) -> None:
        condition.wait(timeout)


@dataclass(frozen=True)
class QueueView:
    """What the rule needs of the queue at one moment (times are Clock values)."""

    oldest_arrival: float  # of the sentence the next batch is built around
    last_arrival: float  # of the newest request queued, any group
    arrivals_since_end: int  # requests queued since the last batch ended
    last_batch_end: float  # -inf before the first batch
    last_batch_seconds: float  # 0 before the first batch
    last_batch_requests: int
    longest_recent_seconds: float  # the longest of the recent batches; 0: none ran yet
    seconds_per_sentence: float  # of the recent batch with the most sentences; 0: none
    waiting_requests: int  # requests with sentences queued
    next_batch_sentences: int  # what the next batch would hold if it started now
    in_flight: int  # batches being translated by other workers


def expected_decode_s(view: QueueView) -> float:
    """How long the next batch will take, roughly: as long as the longest recent batch, or
    longer in proportion to its sentences when it holds more than the largest recent one.
    Before a full batch has run this errs long (a small batch's time per sentence includes
    a decode's fixed cost), which only lengthens a wait while requests keep arriving."""
    return max(view.longest_recent_seconds, view.next_batch_sentences * view.seconds_per_sentence)


def company_wait_s(view: QueueView, now: float, max_wait_ms: float) -> float:
    """Seconds to wait for more sentences before a batch that is not full starts."""
    if max_wait_ms <= 0:
        return 0.0
    max_wait_s = max_wait_ms / 1000
    decode_s = expected_decode_s(view)
    share_s = COMPANY_WAIT_SHARE * decode_s if decode_s > 0 else max_wait_s
    returning_s = max(max_wait_s, RETURN_WAIT_SHARE * view.last_batch_seconds)
    returning_until = view.last_batch_end + returning_s
    if view.last_batch_requests and now < returning_until:
        # Closed-loop callers resubmit a moment after their batch returns, spread over
        # milliseconds of thread wake-ups: wait for all of them (counted from the batch's
        # end, not from the oldest arrival), else the callers split into cohorts that
        # alternate, each batch part full. A lone caller is back at once and waits nothing.
        back = view.arrivals_since_end >= view.last_batch_requests
        until = -math.inf if back else returning_until
    else:
        # An idle engine and a fresh arrival: others may be on their way (a burst). Wait
        # while they keep coming, at most a share of the batch's decode in all. A lone
        # request waits out one pause of max_wait_ms; with more already waiting, a longer
        # pause is likelier a stall inside a burst (a thread scheduled late on a busy
        # machine, the RPC thread pool growing) than its end, so the pause allowed grows
        # with them, within the same share.
        gap_s = min(share_s, max_wait_s * max(1, view.waiting_requests))
        until = min(view.last_arrival + gap_s, view.oldest_arrival + max(gap_s, share_s))
    if view.in_flight > 0:  # another worker is busy: let this batch grow a little
        until = max(until, view.oldest_arrival + max_wait_s)
    return until - now


class QueuedSentence(Protocol):
    @property
    def request(self) -> Hashable: ...  # the request the sentence belongs to

    @property
    def tokens(self) -> int: ...  # source tokens


S = TypeVar("S", bound=QueuedSentence)


def choose_batch(queued: Sequence[S], max_sentences: int, max_tokens: int) -> list[S]:
    """The next batch from ``queued`` (in arrival order, not empty).

    First the oldest queued sentence of every request, so a one-sentence request never
    waits behind all of a long document; when more requests wait than a batch holds,
    those of the oldest two batches' worth closest in length to the oldest sentence. Then
    the other sentences closest in length to it. So padding stays small, and the oldest
    sentence always goes: nothing starves (what is passed over becomes the oldest).
    """
    first_of_request: dict[Hashable, S] = {}
    for sentence in queued:
        first_of_request.setdefault(sentence.request, sentence)
    heads = list(first_of_request.values())
    head_ids = set(map(id, heads))
    oldest = queued[0]

    def by_length(sentences: Sequence[S]) -> list[S]:
        return sorted(sentences, key=lambda s: abs(s.tokens - oldest.tokens))

    window = 2 * max_sentences
    others = by_length([s for s in queued if id(s) not in head_ids])
    candidates = by_length(heads[1 : 1 + window]) + heads[1 + window :] + others
    batch, tokens = [oldest], oldest.tokens
    for sentence in candidates:
        if len(batch) == max_sentences:
            break
        if tokens + sentence.tokens <= max_tokens:
            batch.append(sentence)
            tokens += sentence.tokens
    return batch
