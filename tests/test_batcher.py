"""The batcher merges concurrent requests' sentences without changing any translation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tarjama.server.serve.batcher import (
    Batcher,
    BatcherOptions,
    BatcherStoppedError,
    BatchRecord,
    CancelledError,
    DeadlineExceededError,
    QueueFullError,
    RequestTooLargeError,
)
from tarjama.server.translate.engine import (
    EncodedSource,
    Engine,
    EngineError,
    EngineOptions,
    EngineResult,
)

# Decoding stops here: the random model never emits </s>, and short outputs keep tests fast.
MAX_DECODING_LENGTH = 12


@pytest.fixture(scope="module")
def engine(random_model_dir: Path) -> Engine:
    return Engine(random_model_dir, EngineOptions(max_decoding_length=MAX_DECODING_LENGTH))


@pytest.fixture(scope="module")
def sentences(seed_article: str) -> list[str]:
    """Runs of 5 to 13 consecutive words of the seed article: 60 distinct sentence-sized
    requests of varied lengths (the article has fewer real sentences than the tests need)."""
    words = seed_article.split()
    runs, start = [], 0
    while start < len(words):
        length = 5 + (len(runs) * 3) % 9
        runs.append(" ".join(words[start : start + length]))
        start += length
    distinct = list(dict.fromkeys(runs))
    assert len(distinct) >= 60, "the seed article is shorter than these tests expect"
    return distinct[:60]


class GatedEngine:
    """Wraps the engine: records every sentence it is asked to translate, and holds each
    call at a gate until the test opens it, so requests pile up in the queue."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.options = engine.options
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.calls: list[tuple[list[str], int | None, bool]] = []
        self.fail_with: Exception | None = None

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
        texts = [s.text if isinstance(s, EncodedSource) else s for s in sources]
        self.calls.append((texts, beam_size, with_alignment))
        self.entered.set()
        assert self.gate.wait(30), "the test never opened the gate"
        if self.fail_with is not None:
            raise self.fail_with
        return self._engine.translate_batch(
            sources,
            beam_size=beam_size,
            with_alignment=with_alignment,
            target_prefixes=target_prefixes,
            names_only=names_only,
        )

    def translated(self) -> list[str]:
        return [text for texts, _, _ in self.calls for text in texts]


@pytest.fixture
def gated(engine: Engine) -> GatedEngine:
    return GatedEngine(engine)


@pytest.fixture
def running(gated: GatedEngine) -> Iterator[Callable[..., Batcher]]:
    """Starts batchers over the gated engine; opens the gate and stops them at the end."""
    started: list[Batcher] = []

    def start(**options: int | float) -> Batcher:
        batcher = Batcher(gated, BatcherOptions(**options))  # type: ignore[arg-type]
        batcher.start()
        started.append(batcher)
        return batcher

    yield start
    gated.gate.set()
    for batcher in started:
        assert batcher.stop(timeout=30)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Polls until the other threads have got somewhere (fails after 30 s, never asserts
    how long it took)."""
    end = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.005)


@pytest.mark.parametrize(
    ("compute_type", "beam_size", "with_alignment"),
    [
        # float32 on both: int8 quantises each batch's activations with the CPU's own
        # kernels (AVX2 and AVX-512 differ), so an int8 score can move by 1e-4 with the
        # batch mates; float32 makes exact equality a property of the batcher alone.
        # Greedy: text, score and attention of a sentence do not depend on its batch mates.
        ("float32", 1, True),
        # Beam search: CTranslate2 4.x returns the first target token's attention row of
        # another sentence of the batch, so this case compares everything but alignment.
        ("float32", 4, False),
    ],
)
def test_concurrent_requests_get_the_direct_translation(
    random_model_dir: Path,
    sentences: list[str],
    compute_type: str,
    beam_size: int,
    with_alignment: bool,
) -> None:
    options = EngineOptions(max_decoding_length=MAX_DECODING_LENGTH, compute_type=compute_type)
    engine = Engine(random_model_dir, options)
    chosen = sentences[:50]
    direct = [
        engine.translate_batch([s], beam_size=beam_size, with_alignment=with_alignment)[0]
        for s in chosen
    ]
    barrier = threading.Barrier(len(chosen))
    with Batcher(engine, BatcherOptions(max_batch_sentences=16)) as batcher:

        def one_client(sentence: str) -> EngineResult:
            barrier.wait()
            translator = batcher.for_request()
            [result] = translator.translate_batch(
                [sentence], beam_size=beam_size, with_alignment=with_alignment
            )
            return result

        with ThreadPoolExecutor(len(chosen)) as pool:
            batched = list(pool.map(one_client, chosen))
        stats = batcher.stats()

    assert stats.sentences_translated == len(chosen)
    assert stats.multi_request_batches >= 1  # the comparison is of merged sentences
    for alone, merged in zip(direct, batched, strict=True):
        assert merged.source.text == alone.source.text
        assert merged.text == alone.text
        assert merged.target_tokens == alone.target_tokens
        assert merged.score == pytest.approx(alone.score, abs=1e-5)
        assert merged.links == alone.links


def test_a_document_keeps_its_order_and_forced_prefixes(
    engine: Engine, sentences: list[str]
) -> None:
    document = sentences[:6]
    prefixes = [engine.encode_target("The Nusra Front") if i % 2 else None for i in range(6)]
    direct = engine.translate_batch(document, beam_size=2, target_prefixes=prefixes)
    with Batcher(engine) as batcher:
        merged = batcher.for_request().translate_batch(
            document, beam_size=2, target_prefixes=prefixes
        )
    assert [r.source.text for r in merged] == document
    assert [r.text for r in merged] == [r.text for r in direct]
    assert all(r.text.startswith("The Nusra Front") for r in merged[1::2])


def test_batches_hold_sentences_of_many_requests(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running(max_batch_sentences=64)
    clients = 50
    with ThreadPoolExecutor(clients) as pool:
        first = pool.submit(batcher.for_request().translate_batch, [sentences[0]])
        gated.entered.wait(30)  # the first sentence is being translated alone, held
        rest = [
            pool.submit(batcher.for_request().translate_batch, [sentence])
            for sentence in sentences[1:clients]
        ]
        wait_until(lambda: batcher.queue_depth() == clients - 1, "49 queued sentences")
        gated.gate.set()
        results = [first.result(), *(future.result() for future in rest)]

    assert [result.source.text for [result] in results] == sentences[:clients]
    stats = batcher.stats()
    assert stats.batches == 2
    assert stats.multi_request_batches == 1
    assert stats.largest_batch_requests == clients - 1
    assert [len(texts) for texts, _, _ in gated.calls] == [1, clients - 1]


def test_two_workers_translate_two_batches_at_once(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running(workers=2)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(batcher.for_request().translate_batch, [sentences[0]])
        wait_until(lambda: len(gated.calls) == 1, "the first batch held at the gate")
        second = pool.submit(batcher.for_request().translate_batch, sentences[1:3])
        wait_until(lambda: len(gated.calls) == 2, "a second batch beside the held one")
        gated.gate.set()
        assert first.result()[0].source.text == sentences[0]
        assert [r.source.text for r in second.result()] == sentences[1:3]
    assert [texts for texts, _, _ in gated.calls] == [sentences[:1], sentences[1:3]]


def test_a_short_request_is_not_stuck_behind_a_long_document(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running(max_batch_sentences=8)
    document, short = sentences[1:21], sentences[30]
    with ThreadPoolExecutor(3) as pool:
        held = pool.submit(batcher.for_request().translate_batch, [sentences[0]])
        gated.entered.wait(30)
        long_request = pool.submit(batcher.for_request().translate_batch, document)
        wait_until(lambda: batcher.queue_depth() == len(document), "the document queued")
        short_request = pool.submit(batcher.for_request().translate_batch, [short])
        wait_until(lambda: batcher.queue_depth() == len(document) + 1, "the short request")
        gated.gate.set()
        held.result()
        assert [r.source.text for r in long_request.result()] == document
        assert short_request.result()[0].source.text == short

    next_call = gated.calls[1][0]
    assert len(next_call) == 8
    assert short in next_call


def test_each_call_has_one_beam_size_and_sentences_get_the_alignment_they_asked_for(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running()
    settings = [(1, False), (4, False), (1, True), (4, True)]
    with ThreadPoolExecutor(len(settings) * 3 + 1) as pool:
        pool.submit(batcher.for_request().translate_batch, [sentences[0]])
        gated.entered.wait(30)
        asked = {}
        futures = {}
        for n, (beam, alignment) in enumerate(settings * 3, start=1):
            asked[sentences[n]] = (beam, alignment)
            futures[sentences[n]] = pool.submit(
                batcher.for_request().translate_batch,
                [sentences[n]],
                beam_size=beam,
                with_alignment=alignment,
            )
        wait_until(lambda: batcher.queue_depth() == len(futures), "all requests queued")
        gated.gate.set()
        results = {text: future.result()[0] for text, future in futures.items()}

    # One call per beam size, with and without alignment together: a second, part-full
    # call would cost far more than the attention of the sentences that did not ask.
    merged_calls = gated.calls[1:]
    assert sorted((beam, alignment, len(texts)) for texts, beam, alignment in merged_calls) == [
        (1, True, 6),
        (4, True, 6),
    ]
    for texts, beam, _ in merged_calls:
        assert {asked[text][0] for text in texts} == {beam}
    for text, result in results.items():
        wanted = asked[text][1]
        assert (result.attention is not None, bool(result.links)) == (wanted, wanted), text


def test_full_queue_refuses_with_a_retry_hint(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running(max_queue_sentences=2)
    with ThreadPoolExecutor(2) as pool:
        in_flight = pool.submit(batcher.for_request().translate_batch, [sentences[0]])
        gated.entered.wait(30)
        queued = pool.submit(batcher.for_request().translate_batch, sentences[1:3])
        wait_until(lambda: batcher.queue_depth() == 2, "two queued sentences")
        with pytest.raises(QueueFullError, match=r"queue is full \(2 of 2 sentences") as caught:
            batcher.for_request().translate_batch([sentences[3]])
        assert caught.value.retry_after_ms > 0
        gated.gate.set()
        assert len(in_flight.result()) == 1
        assert len(queued.result()) == 2
    assert batcher.stats().rejected_requests == 1
    assert sentences[3] not in gated.translated()


def test_request_larger_than_the_queue_is_refused_for_good(
    running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running(max_queue_sentences=2)
    with pytest.raises(RequestTooLargeError, match=r"3 sentences in one call exceed"):
        batcher.for_request().translate_batch(sentences[:3])


def test_deadline_passing_in_the_queue_drops_the_sentence(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running()
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(batcher.for_request().translate_batch, [sentences[0]])
        gated.entered.wait(30)
        late = batcher.for_request(deadline=time.monotonic() + 0.05)
        with pytest.raises(DeadlineExceededError, match="deadline passed"):
            late.translate_batch(["وقال مسؤول عسكري إن الروس يريدون تسوية"])
        assert batcher.queue_depth() == 0
        gated.gate.set()
        held.result()
    assert "وقال مسؤول عسكري إن الروس يريدون تسوية" not in gated.translated()
    assert batcher.stats().expired_requests == 1


def test_a_far_deadline_is_waited_for_like_none(engine: Engine, sentences: list[str]) -> None:
    # gRPC reports a call without a deadline as one centuries away: beyond what a lock's
    # wait may be given.
    with Batcher(engine) as batcher:
        far = batcher.for_request(deadline=time.monotonic() + 1e12)
        assert len(far.translate_batch(sentences[:2], beam_size=1)) == 2


def test_deadline_already_past_is_refused_at_once(
    running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running()
    with pytest.raises(DeadlineExceededError, match="deadline passed"):
        batcher.for_request(deadline=time.monotonic() - 1).translate_batch([sentences[0]])
    assert batcher.queue_depth() == 0


def test_cancelled_request_leaves_the_queue(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running()
    cancelled = threading.Event()
    document = ["أجرى الرئيس الروسي محادثات مع كيري", "وقال بيسكوف إن المحادثات بناءة"]
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(batcher.for_request().translate_batch, [sentences[0]])
        gated.entered.wait(30)
        doomed = pool.submit(
            batcher.for_request(is_cancelled=cancelled.is_set).translate_batch, document
        )
        wait_until(lambda: batcher.queue_depth() == 2, "the document queued")
        cancelled.set()
        with pytest.raises(CancelledError, match="client cancelled"):
            doomed.result()
        assert batcher.queue_depth() == 0
        gated.gate.set()
        held.result()
    assert not set(document) & set(gated.translated())
    assert batcher.stats().cancelled_requests == 1


def test_a_request_cancelled_while_its_batch_runs_returns_at_once(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running()
    cancelled = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        doomed = pool.submit(
            batcher.for_request(is_cancelled=cancelled.is_set).translate_batch, [sentences[0]]
        )
        gated.entered.wait(30)  # its batch is being translated, held at the gate
        cancelled.set()
        with pytest.raises(CancelledError, match="client cancelled"):
            doomed.result(timeout=30)
        gated.gate.set()
    assert batcher.stats().cancelled_requests == 1


def test_waiting_callers_are_checked_by_one_watcher_not_their_own_threads(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    """A caller's thread sleeps while it waits: a thread per caller waking to poll
    is_cancelled() cost ~5% of the CPU with 64 callers (bench/RESULTS.md, issue 16)."""
    batcher = running()
    checked_on: list[str] = []

    def is_cancelled() -> bool:
        checked_on.append(threading.current_thread().name)
        return False

    with ThreadPoolExecutor(3, thread_name_prefix="caller") as pool:
        waiting = [
            pool.submit(batcher.for_request(is_cancelled=is_cancelled).translate_batch, [s])
            for s in sentences[:3]
        ]
        gated.entered.wait(30)
        wait_until(lambda: checked_on.count("tarjama-batcher-watch") >= 9, "three rounds of checks")
        gated.gate.set()
        for future in waiting:
            future.result()
    by_callers = [name for name in checked_on if name.startswith("caller")]
    assert len(by_callers) == 3  # once each, when its request was queued


def test_engine_failure_reaches_every_request_of_the_batch(
    gated: GatedEngine, running: Callable[..., Batcher], sentences: list[str]
) -> None:
    batcher = running()
    gated.fail_with = EngineError("translation failed: out of memory")
    gated.gate.set()
    with pytest.raises(EngineError, match="out of memory"):
        batcher.for_request().translate_batch(sentences[:2])
    gated.fail_with = None
    assert len(batcher.for_request().translate_batch(sentences[:2])) == 2


def test_stop_translates_what_is_queued_then_refuses(
    gated: GatedEngine, engine: Engine, sentences: list[str]
) -> None:
    batcher = Batcher(gated)
    batcher.start()
    with ThreadPoolExecutor(5) as pool:  # four requests and the stop() call
        futures = [pool.submit(batcher.for_request().translate_batch, [sentences[0]])]
        gated.entered.wait(30)
        futures += [
            pool.submit(batcher.for_request().translate_batch, [sentence])
            for sentence in sentences[1:4]
        ]
        wait_until(lambda: batcher.queue_depth() == 3, "three queued sentences")
        stopping = pool.submit(batcher.stop, 30)
        wait_until(lambda: batcher.state == "stopping", "the batcher to start stopping")
        with pytest.raises(BatcherStoppedError, match="not accepting translations"):
            batcher.for_request().translate_batch([sentences[5]])
        gated.gate.set()
        assert stopping.result() is True
        assert [future.result()[0].source.text for future in futures] == sentences[:4]
    assert sorted(gated.translated()) == sorted(sentences[:4])


def test_observer_sees_every_batch(engine: Engine, sentences: list[str]) -> None:
    records: list[BatchRecord] = []
    with Batcher(engine, on_batch=records.append) as batcher:
        batcher.for_request().translate_batch(sentences[:3], beam_size=1)
    [record] = records
    assert (record.sentences, record.requests, record.beam_size) == (3, 1, 1)
    assert record.tokens == sum(len(engine.encode(s).tokens) for s in sentences[:3])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_batch_tokens": 0}, r"max_batch_tokens must be at least 1, not 0"),
        ({"workers": 0}, r"workers must be at least 1"),
        ({"max_wait_ms": -1}, r"max_wait_ms must be 0 or more"),
    ],
)
def test_bad_options_are_refused(options: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BatcherOptions(**options)  # type: ignore[arg-type]


def test_unstarted_batcher_refuses_requests(engine: Engine) -> None:
    with pytest.raises(BatcherStoppedError, match="the batcher is new"):
        Batcher(engine).for_request().translate_batch(["وقال بيسكوف"])


# -- the engine the batcher feeds: the GPU path -----------------------------------------------


def test_device_compute_type_and_threads_reach_ctranslate2(
    random_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `tarjama serve --device cuda` asks for is what CTranslate2 is given. No GPU
    here, so the translator is a stand-in that records its arguments."""
    from tarjama.server.serve.app import load_engine
    from tarjama.server.serve.config import ServerConfig
    from tarjama.server.translate import engine as engine_module

    given: list[tuple[tuple[object, ...], dict[str, object]]] = []

    class RecordingTranslator:
        def __init__(self, *args: object, **kwargs: object) -> None:
            given.append((args, kwargs))

    monkeypatch.setattr(engine_module.ctranslate2, "Translator", RecordingTranslator)
    config = ServerConfig(
        home=tmp_path,
        model=str(random_model_dir),
        device="cuda",
        compute_type="int8_float16",
        inter_threads=2,
        intra_threads=3,
    )
    load_engine(config)
    [(args, kwargs)] = given
    assert args == (str(random_model_dir),)
    assert kwargs == {
        "device": "cuda",
        "compute_type": "int8_float16",
        "inter_threads": 2,
        "intra_threads": 3,
    }
