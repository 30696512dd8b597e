"""The batcher's wait-for-company policy, driven by an injected clock (no threads, no sleeps).

A test submits requests at chosen clock readings and asks ``BatchQueue.poll`` what a free
worker would do: start a batch, or wait so many seconds. The closed-loop tests simulate
callers and an engine in the same clock, so they are exact and repeatable.
"""

from __future__ import annotations

import heapq
import math
import random
import threading

import pytest

from tarjama.server.serve.batch_policy import COMPANY_WAIT_SHARE, RETURN_WAIT_SHARE
from tarjama.server.serve.batch_queue import BatchQueue
from tarjama.server.serve.batch_requests import Batch, CancelledError, Job, PendingRequest
from tarjama.server.serve.batcher import BatcherOptions
from tarjama.server.serve.config import ServerConfig, physical_cores
from tarjama.server.translate.engine import EncodedSource, EngineResult

MAX_WAIT_MS = 5.0
MAX_WAIT_S = MAX_WAIT_MS / 1000


class FakeClock:
    """Time moves only when the test moves it."""

    def __init__(self) -> None:
        self.time = 1000.0

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds

    def wait(self, condition: threading.Condition, timeout: float | None) -> None:
        raise AssertionError("these tests poll; nothing may block")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def open_queue(clock: FakeClock, **options: float) -> BatchQueue:
    queue = BatchQueue(BatcherOptions(max_wait_ms=MAX_WAIT_MS, **options), clock)  # type: ignore[arg-type]
    queue.open()
    return queue


def submit(queue: BatchQueue, tokens: int = 30) -> PendingRequest:
    """A one-sentence request of ``tokens`` source tokens, queued now."""
    request = PendingRequest(1, None, None)
    job = Job(request, 0, EncodedSource(f"{tokens}", ()), None, tokens)
    queue.submit(request, [job], (4, False))
    return request


def take(queue: BatchQueue) -> Batch:
    decision = queue.poll()
    assert isinstance(decision, Batch), f"expected a batch to start, the queue waits {decision}"
    return decision


def waits(queue: BatchQueue) -> float:
    decision = queue.poll()
    assert isinstance(decision, float), f"expected a wait, a batch of {decision} started"
    return decision


def finish(queue: BatchQueue, batch: Batch, seconds: float) -> None:
    results = [EngineResult(job.source, "", (), 0.0) for job in batch.jobs]
    queue.finish(batch, results, seconds)


def run_one_batch(queue: BatchQueue, clock: FakeClock, requests: int, seconds: float) -> None:
    """A batch of ``requests`` one-sentence requests that took ``seconds``, then a pause
    long enough that none of its callers is expected back."""
    for _ in range(requests):
        submit(queue)
    clock.advance(MAX_WAIT_S)
    batch = take(queue)
    assert len(batch.jobs) == requests
    clock.advance(seconds)
    finish(queue, batch, seconds)
    clock.advance(10 * seconds)


# -- an idle engine and one request -----------------------------------------------------------


def test_a_lone_request_waits_at_most_max_wait_before_any_batch_ran(clock: FakeClock) -> None:
    queue = open_queue(clock)
    submit(queue)
    assert waits(queue) == pytest.approx(MAX_WAIT_S)
    clock.advance(0.8 * MAX_WAIT_S)
    assert waits(queue) == pytest.approx(0.2 * MAX_WAIT_S)
    clock.advance(0.2 * MAX_WAIT_S)
    assert len(take(queue).jobs) == 1


def test_a_lone_request_waits_a_small_share_of_a_short_decode(clock: FakeClock) -> None:
    queue = open_queue(clock)
    run_one_batch(queue, clock, requests=1, seconds=0.02)  # a decode of 20 ms
    submit(queue)
    assert waits(queue) == pytest.approx(COMPANY_WAIT_SHARE * 0.02)


def test_max_wait_zero_never_waits(clock: FakeClock) -> None:
    queue = BatchQueue(BatcherOptions(max_wait_ms=0), clock)
    queue.open()
    submit(queue)
    assert len(take(queue).jobs) == 1


def test_an_empty_queue_waits_for_a_submit_and_a_closed_one_ends(clock: FakeClock) -> None:
    queue = open_queue(clock)
    assert queue.poll() == math.inf
    queue.close()
    assert queue.poll() is None


# -- bursts ---------------------------------------------------------------------------------


def test_a_lone_request_after_a_long_decode_waits_max_wait(clock: FakeClock) -> None:
    queue = open_queue(clock)
    run_one_batch(queue, clock, requests=1, seconds=1.0)  # a share of it: 50 ms
    submit(queue)
    assert waits(queue) == pytest.approx(MAX_WAIT_S)


def test_the_pause_a_burst_may_take_grows_with_the_requests_waiting(clock: FakeClock) -> None:
    queue = open_queue(clock)
    run_one_batch(queue, clock, requests=1, seconds=1.0)
    for waiting in range(1, 6):
        submit(queue)
        assert waits(queue) == pytest.approx(waiting * MAX_WAIT_S)  # from the newest arrival
        clock.advance(0.6 * MAX_WAIT_S)
    clock.advance(4.4 * MAX_WAIT_S)  # 5 x max_wait since the last arrival: the burst is over
    assert len(take(queue).jobs) == 5


@pytest.mark.parametrize(
    ("requests", "seconds"),
    [(8, 0.08), (32, 3.2)],  # a fast engine: the share ends it; a slow one: the batch fills
)
def test_a_steady_stream_waits_no_more_than_a_share_of_the_batch_decode(
    clock: FakeClock, requests: int, seconds: float
) -> None:
    queue = open_queue(clock)
    run_one_batch(queue, clock, requests=requests, seconds=seconds)
    first_arrival = clock.now()
    while not isinstance(decision := queue.poll(), Batch):
        submit(queue)
        clock.advance(0.5 * MAX_WAIT_S)
    waited = clock.now() - first_arrival
    expected_decode_s = max(seconds, len(decision.jobs) * seconds / requests)
    assert waited <= COMPANY_WAIT_SHARE * expected_decode_s + 0.5 * MAX_WAIT_S


def test_a_full_batch_starts_at_once(clock: FakeClock) -> None:
    queue = open_queue(clock, max_batch_sentences=4)
    for _ in range(4):
        submit(queue)
    assert len(take(queue).jobs) == 4


def test_a_batch_at_the_token_limit_starts_at_once(clock: FakeClock) -> None:
    queue = open_queue(clock, max_batch_tokens=50)
    submit(queue, tokens=25)
    submit(queue, tokens=25)
    assert len(take(queue).jobs) == 2


# -- closed-loop callers --------------------------------------------------------------------


def test_the_callers_of_the_last_batch_are_awaited_until_all_are_back(clock: FakeClock) -> None:
    queue = open_queue(clock)
    for _ in range(8):
        submit(queue)
    clock.advance(MAX_WAIT_S)
    batch = take(queue)
    clock.advance(1.0)
    finish(queue, batch, 1.0)
    for _ in range(7):  # back one after another, further apart than max_wait_ms
        clock.advance(2 * MAX_WAIT_S)
        submit(queue)
        assert waits(queue) > 0
    submit(queue)
    assert len(take(queue).jobs) == 8


def test_a_caller_that_does_not_come_back_delays_a_batch_by_a_share_of_it(
    clock: FakeClock,
) -> None:
    queue = open_queue(clock)
    for _ in range(8):
        submit(queue)
    clock.advance(MAX_WAIT_S)
    batch = take(queue)
    clock.advance(1.0)
    finish(queue, batch, 1.0)
    ended = clock.now()
    for _ in range(7):
        submit(queue)
    assert waits(queue) == pytest.approx(RETURN_WAIT_SHARE * 1.0)
    clock.time = ended + RETURN_WAIT_SHARE * 1.0
    assert len(take(queue).jobs) == 7


def test_a_lone_closed_loop_caller_waits_nothing(clock: FakeClock) -> None:
    queue = open_queue(clock)
    submit(queue)
    clock.advance(MAX_WAIT_S)
    batch = take(queue)
    clock.advance(1.0)
    finish(queue, batch, 1.0)
    submit(queue)  # back at once
    assert len(take(queue).jobs) == 1


def test_a_busy_worker_lets_the_next_batch_grow(clock: FakeClock) -> None:
    queue = open_queue(clock, workers=2)
    submit(queue)
    clock.advance(MAX_WAIT_S)
    take(queue)  # in flight on the first worker
    submit(queue)
    clock.advance(0.5 * MAX_WAIT_S)
    submit(queue)
    assert waits(queue) == pytest.approx(0.5 * MAX_WAIT_S)  # max_wait after the oldest
    clock.advance(0.5 * MAX_WAIT_S)
    assert len(take(queue).jobs) == 2


# -- callers that go away ---------------------------------------------------------------------


class WatchedClock(FakeClock):
    """Notes each pause of the cancellation watcher and runs ``during_pause`` in it."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float | None] = []
        self.during_pause = lambda: None

    def wait(self, condition: threading.Condition, timeout: float | None) -> None:
        self.pauses.append(timeout)
        self.during_pause()


@pytest.mark.parametrize(("waiting", "pause"), [(3, 0.05), (40, 0.2)])
def test_one_watcher_drops_cancelled_requests_at_a_bounded_pace(waiting: int, pause: float) -> None:
    clock = WatchedClock()
    queue = BatchQueue(BatcherOptions(max_wait_ms=MAX_WAIT_MS), clock)
    queue.open()
    requests = [PendingRequest(1, None, lambda: False) for _ in range(waiting)]
    client_left = threading.Event()
    gone = PendingRequest(1, None, client_left.is_set)
    for request in [*requests, gone]:
        queue.submit(request, [Job(request, 0, EncodedSource("", ()), None, 10)], (4, False))
    client_left.set()

    def finish_all_and_stop() -> None:
        for request in requests:
            request.done.set()
        queue.close()

    clock.during_pause = finish_all_and_stop
    queue.watch_cancellations(0.05, checks_per_s=200)  # returns once stopped, none waiting
    assert isinstance(gone.error, CancelledError)
    assert queue.depth() == waiting  # the gone request's sentence left the queue
    assert clock.pauses == [pytest.approx(pause)]  # 0.05 s, or 200 checks a second


# -- what a batch holds ---------------------------------------------------------------------


def test_waiting_requests_beyond_a_batch_are_taken_by_length(clock: FakeClock) -> None:
    queue = open_queue(clock, max_batch_sentences=4)
    lengths = [10, 40, 41, 12, 39, 11, 42, 9]
    for tokens in lengths:
        submit(queue, tokens)
    first = sorted(job.tokens for job in take(queue).jobs)
    second = sorted(job.tokens for job in take(queue).jobs)
    assert (first, second) == ([9, 10, 11, 12], [39, 40, 41, 42])


# -- closed-loop clients, simulated ---------------------------------------------------------


def decode_seconds(sentences: int) -> float:
    """A beam-4 decode on a 2-core CPU, roughly: fixed cost plus a share per sentence."""
    return 0.1 + 0.09 * sentences


def simulate(
    clients: int,
    max_batch: int,
    workers: int,
    seconds: float,
    seed: int = 0,
    *,
    spacing_s: float = 0.0003,
    stall_s: float = 0.0,
) -> list[int]:
    """Closed-loop one-sentence clients released together, against an engine that takes
    ``decode_seconds``; the size of every batch started within ``seconds``, in order.
    Arrivals of the first burst (``spacing_s`` apart, with a stall of ``stall_s`` after
    every sixth, as a busy machine schedules threads late) and returns after a batch are
    spread over milliseconds, as gRPC threads are. The engine has translated one sentence
    before (a warm-up call)."""
    rng = random.Random(seed)
    clock = FakeClock()
    queue = open_queue(clock, max_batch_sentences=max_batch, workers=workers)
    run_one_batch(queue, clock, requests=1, seconds=decode_seconds(1))
    end_of_run = clock.now() + seconds
    client_of: dict[PendingRequest, int] = {}
    arrivals = [
        (clock.now() + i * spacing_s + (i // 6) * stall_s + rng.uniform(0, 0.001), i)
        for i in range(clients)
    ]
    heapq.heapify(arrivals)
    running: list[tuple[float, int, Batch]] = []
    sizes: list[int] = []
    wake = math.inf
    while clock.now() < end_of_run:
        while len(running) < workers:
            decision = queue.poll()
            if not isinstance(decision, Batch):
                wake = math.inf if decision is None else clock.now() + decision + 1e-9
                break
            sizes.append(len(decision.jobs))
            end = clock.now() + decode_seconds(len(decision.jobs))
            heapq.heappush(running, (end, len(sizes), decision))
        events = [wake] if len(running) < workers else []
        events += [arrivals[0][0]] if arrivals else []
        events += [running[0][0]] if running else []
        clock.time = max(clock.now(), min(events))
        while running and running[0][0] <= clock.now():
            _, _, batch = heapq.heappop(running)
            finish(queue, batch, decode_seconds(len(batch.jobs)))
            for job in batch.jobs:
                client = client_of.pop(job.request)
                back = clock.now() + 0.0002 + client * 0.00005 + rng.uniform(0, 0.001)
                heapq.heappush(arrivals, (back, client))
        while arrivals and arrivals[0][0] <= clock.now():
            _, client = heapq.heappop(arrivals)
            client_of[submit(queue, tokens=rng.randint(15, 60))] = client
    return sizes


@pytest.mark.parametrize(
    ("clients", "max_batch"), [(32, 32), (32, 64), (64, 32), (64, 64), (100, 64), (200, 64)]
)
def test_closed_loop_clients_fill_their_batches(clients: int, max_batch: int) -> None:
    sizes = simulate(clients, max_batch, workers=1, seconds=60)
    assert sum(sizes) / len(sizes) >= 0.9 * min(clients, max_batch), sizes


@pytest.mark.parametrize(
    ("spacing_s", "stall_s"),
    [
        (0.0012, 0.0),  # a burst longer than a share of the (one-sentence) warm-up decode
        (0.0003, 3 * MAX_WAIT_S),  # stalls longer than max_wait_ms inside the burst
    ],
)
@pytest.mark.parametrize(("clients", "max_batch"), [(32, 32), (64, 32), (64, 64)])
def test_a_slow_first_burst_still_makes_one_batch(
    clients: int, max_batch: int, spacing_s: float, stall_s: float
) -> None:
    sizes = simulate(
        clients, max_batch, workers=1, seconds=30, spacing_s=spacing_s, stall_s=stall_s
    )
    assert sizes[0] == min(clients, max_batch), sizes
    assert sum(sizes) / len(sizes) >= 0.9 * min(clients, max_batch), sizes


@pytest.mark.parametrize("max_batch", [32, 64])
@pytest.mark.parametrize("clients", [32, 64, 128])
def test_two_workers_keep_their_batches_filled(clients: int, max_batch: int) -> None:
    sizes = simulate(clients, max_batch=max_batch, workers=2, seconds=60)
    # Both workers run batches, each about half of the callers (or a full batch).
    assert sum(sizes) / len(sizes) >= 0.9 * min(clients / 2, max_batch), sizes


def test_two_idle_workers_share_a_burst(clock: FakeClock) -> None:
    queue = open_queue(clock, max_batch_sentences=32, workers=2)
    for _ in range(33):
        submit(queue)
    first = take(queue)  # the other worker is idle: this batch leaves it its share
    clock.advance(MAX_WAIT_S)  # what is left may wait a moment for company
    second = take(queue)
    assert (len(first.jobs), len(second.jobs)) == (17, 16)


def test_a_lone_idle_worker_takes_a_full_batch(clock: FakeClock) -> None:
    queue = open_queue(clock, max_batch_sentences=32, workers=2)
    submit(queue)
    clock.advance(MAX_WAIT_S)
    take(queue)  # in flight on the first worker
    for _ in range(40):
        submit(queue)
    assert len(take(queue).jobs) == 32


def test_the_simulation_is_repeatable() -> None:
    assert simulate(32, 32, workers=1, seconds=10, seed=3) == simulate(
        32, 32, workers=1, seconds=10, seed=3
    )


# -- defaults -------------------------------------------------------------------------------

# Two cores with two hardware threads each, and a second package of one core.
CPUINFO = "\n\n".join(
    f"processor\t: {cpu}\nphysical id\t: {package}\ncore id\t\t: {core}\nmodel name\t: x"
    for cpu, package, core in [(0, 0, 0), (1, 0, 1), (2, 0, 0), (3, 0, 1), (4, 1, 0)]
)


@pytest.mark.parametrize(
    ("allowed", "cores"), [({0, 1, 2, 3, 4}, 3), ({0, 2}, 1), ({1, 2, 4}, 3), ({3}, 1)]
)
def test_threads_default_to_the_physical_cores_this_process_may_use(
    allowed: set[int], cores: int
) -> None:
    assert physical_cores(CPUINFO, allowed) == cores


def test_the_server_defaults_are_the_measured_ones() -> None:
    config = ServerConfig()
    assert config.intra_threads == physical_cores()
    assert config.max_batch_sentences == 32
