"""Prometheus metrics, scraped over loopback HTTP as Prometheus would."""

from __future__ import annotations

import socket
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tarjama.server.serve.batcher import Batcher, BatchRecord
from tarjama.server.serve.metrics import (
    MetricsError,
    NullMetrics,
    PrometheusMetrics,
    call_labels,
    create_metrics,
    start_metrics_server,
)
from tarjama.server.translate.cache import SentenceCache
from tarjama.server.translate.engine import Engine, EngineOptions

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
Scrape = Callable[[], Samples]


@pytest.fixture
def metrics() -> PrometheusMetrics:
    return PrometheusMetrics()


@pytest.fixture
def scrape(metrics: PrometheusMetrics) -> Iterator[Scrape]:
    server = start_metrics_server(0, "127.0.0.1", metrics=metrics)

    def read() -> Samples:
        url = f"http://127.0.0.1:{server.port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode("utf-8")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    yield read
    server.close()


def test_requests_are_counted_by_method_and_status(
    metrics: PrometheusMetrics, scrape: Scrape
) -> None:
    metrics.record_request("Translate", "OK", 0.12)
    metrics.record_request("Translate", "OK", 0.3)
    metrics.record_request("Translate", "RESOURCE_EXHAUSTED", 0.001)
    metrics.record_request("PutGlossary", "UNAUTHENTICATED", 0.002)
    samples = scrape()
    handled = "grpc_server_handled_total"
    assert samples[(handled, call("Translate", grpc_code="OK"))] == 2
    assert samples[(handled, call("Translate", grpc_code="RESOURCE_EXHAUSTED"))] == 1
    assert samples[(handled, call("PutGlossary", grpc_code="UNAUTHENTICATED"))] == 1
    latency = "grpc_server_handling_seconds"
    assert samples[(f"{latency}_count", call("Translate"))] == 3
    assert samples[(f"{latency}_sum", call("Translate"))] == pytest.approx(0.421)
    assert samples[(f"{latency}_bucket", call("Translate", le="0.25"))] == 2


def call(method: str, **more: str) -> tuple[tuple[str, str], ...]:
    """The sorted labels of one Translator method's samples, as a scrape reads them."""
    labels = {"grpc_type": "unary", "grpc_service": "tarjama.v1.Translator", "grpc_method": method}
    return tuple(sorted({**labels, **more}.items()))


@pytest.mark.parametrize(
    ("method", "grpc_type"),
    [("Translate", "unary"), ("TranslateStream", "bidi_stream"), ("GetModelInfo", "unary")],
)
def test_call_labels_follow_the_grpc_exporters(method: str, grpc_type: str) -> None:
    assert call_labels(method) == (grpc_type, "tarjama.v1.Translator", method)


def test_batches_from_a_real_batcher_reach_the_histograms(
    metrics: PrometheusMetrics, scrape: Scrape, random_model_dir: Path
) -> None:
    engine = Engine(random_model_dir, EngineOptions(max_decoding_length=8))
    document = ["أجرى الرئيس الروسي محادثات مع كيري", "وقال بيسكوف إن المحادثات بناءة"]
    with Batcher(engine, on_batch=metrics.record_batch) as batcher:
        metrics.watch_queue(batcher.queue_depth)
        batcher.for_request().translate_batch(document)
    samples = scrape()
    assert samples[("tarjama_batch_sentences_count", ())] == 1
    assert samples[("tarjama_batch_sentences_sum", ())] == 2
    assert samples[("tarjama_batch_requests_sum", ())] == 1
    tokens = sum(len(engine.encode(sentence).tokens) for sentence in document)
    assert samples[("tarjama_batch_tokens_sum", ())] == tokens
    assert samples[("tarjama_queue_sentences", ())] == 0


def test_queue_depth_is_read_at_scrape_time(metrics: PrometheusMetrics, scrape: Scrape) -> None:
    depth = [3]
    metrics.watch_queue(lambda: depth[0])
    assert scrape()[("tarjama_queue_sentences", ())] == 3
    depth[0] = 17
    assert scrape()[("tarjama_queue_sentences", ())] == 17


def test_cache_hit_rate_is_exposed(metrics: PrometheusMetrics, scrape: Scrape) -> None:
    cache = SentenceCache(10)
    metrics.watch_cache(cache.stats)
    key = ("opus-mt-ar-en", "مشاركة :", (), 4, False, False, False)
    cache.get(key)
    cache.put(key, "Share:")
    cache.get(key)
    cache.get(key)
    samples = scrape()
    assert samples[("tarjama_cache_hits_total", ())] == 2
    assert samples[("tarjama_cache_misses_total", ())] == 1
    assert samples[("tarjama_cache_entries", ())] == 1
    assert samples[("tarjama_cache_hit_ratio", ())] == pytest.approx(2 / 3)


def test_each_recorder_has_its_own_registry() -> None:
    first, second = PrometheusMetrics(), PrometheusMetrics()
    first.record_batch(BatchRecord(4, 60, 2, 0.05, 4, False))
    assert first.registry.get_sample_value("tarjama_batch_sentences_count") == 1
    assert second.registry.get_sample_value("tarjama_batch_sentences_count") == 0


def test_metrics_off_needs_no_prometheus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    recorder = create_metrics(enabled=False)
    assert isinstance(recorder, NullMetrics)
    recorder.record_request("Translate", "OK", 0.1)
    recorder.record_batch(BatchRecord(1, 12, 1, 0.01, 4, False))
    recorder.watch_queue(lambda: 0)
    recorder.watch_cache(SentenceCache(1).stats)


def test_metrics_on_without_prometheus_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(MetricsError, match=r"pip install 'tarjama\[metrics\]'"):
        create_metrics(enabled=True)


def test_taken_port_is_a_clear_error(metrics: PrometheusMetrics) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(MetricsError, match=rf"cannot serve metrics on 127.0.0.1:{port}"):
            start_metrics_server(port, "127.0.0.1", metrics=metrics)
