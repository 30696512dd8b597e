"""Optional Prometheus metrics: requests, latency, batches, queue depth, cache hit rate.

Calls are counted as ``grpc_server_handled_total`` and timed as
``grpc_server_handling_seconds``, with the ``grpc_type``, ``grpc_service``,
``grpc_method`` (and ``grpc_code``) labels of the usual gRPC exporters; what is tarjama's
own (batches, queue, cache, process) is named ``tarjama_*``.

``prometheus-client`` is an optional extra (``pip install 'tarjama[metrics]'``), imported
only when metrics are turned on. The service talks to a :class:`Metrics` recorder either
way: :class:`PrometheusMetrics` when a metrics port is configured, :class:`NullMetrics`
(which does nothing) otherwise, so no call site checks whether metrics are on.

Each :class:`PrometheusMetrics` has its own registry, so several servers (tests) can live
in one process. Queue depth and cache figures are read when Prometheus scrapes, not pushed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from tarjama.server.serve.batcher import BatchRecord
from tarjama.server.translate.cache import CacheStats
from tarjama.v1 import translator_pb2

NAMESPACE = "tarjama"
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BATCH_SENTENCE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
BATCH_TOKEN_BUCKETS = (16, 64, 256, 512, 1024, 2048, 4096, 8192)


CALL_LABELS = ("grpc_type", "grpc_service", "grpc_method")
_SERVICE = translator_pb2.DESCRIPTOR.services_by_name["Translator"]
_GRPC_TYPES: dict[tuple[bool, ...], str] = {
    (False, False): "unary",
    (True, False): "client_stream",
    (False, True): "server_stream",
    (True, True): "bidi_stream",
}


def call_labels(method: str) -> tuple[str, str, str]:
    """grpc_type, grpc_service and grpc_method of one of the Translator's methods."""
    descriptor = _SERVICE.methods_by_name.get(method)
    streams = (descriptor.client_streaming, descriptor.server_streaming) if descriptor else ()
    return _GRPC_TYPES.get(streams, "unary"), _SERVICE.full_name, method


class MetricsError(RuntimeError):
    """Metrics were asked for but cannot be served (prometheus-client missing, port taken)."""


class Metrics(Protocol):
    """What the service records; both recorders below implement it."""

    def record_request(self, method: str, status: str, seconds: float) -> None: ...

    def record_batch(self, record: BatchRecord) -> None: ...

    def watch_queue(self, depth: Callable[[], int]) -> None: ...

    def watch_cache(self, stats: Callable[[], CacheStats]) -> None: ...


class NullMetrics:
    """The recorder when metrics are off: every call does nothing."""

    def record_request(self, method: str, status: str, seconds: float) -> None:
        return None

    def record_batch(self, record: BatchRecord) -> None:
        return None

    def watch_queue(self, depth: Callable[[], int]) -> None:
        return None

    def watch_cache(self, stats: Callable[[], CacheStats]) -> None:
        return None


def _prometheus(module: str = "prometheus_client") -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MetricsError(
            "Prometheus metrics need prometheus-client, which is not installed: "
            "run `pip install 'tarjama[metrics]'`, or turn metrics off (no metrics port)"
        ) from error


class PrometheusMetrics:
    """Records into a private Prometheus registry (``.registry``)."""

    def __init__(self) -> None:
        prometheus = _prometheus()
        self.registry = prometheus.CollectorRegistry()
        registry = self.registry
        # Named and labelled as go-grpc-prometheus and py-grpc-prometheus name them, so the
        # usual gRPC dashboards and alerts work unchanged.
        self._handled = prometheus.Counter(
            "grpc_server_handled",
            "RPCs completed on the server, by method and gRPC status code",
            (*CALL_LABELS, "grpc_code"),
            registry=registry,
        )
        self._handling = prometheus.Histogram(
            "grpc_server_handling_seconds",
            "Time from receiving an RPC to answering it, by method",
            CALL_LABELS,
            buckets=LATENCY_BUCKETS_S,
            registry=registry,
        )
        self._batch_sentences = prometheus.Histogram(
            "batch_sentences",
            "Sentences per CTranslate2 call",
            namespace=NAMESPACE,
            buckets=BATCH_SENTENCE_BUCKETS,
            registry=registry,
        )
        self._batch_tokens = prometheus.Histogram(
            "batch_tokens",
            "Source tokens per CTranslate2 call",
            namespace=NAMESPACE,
            buckets=BATCH_TOKEN_BUCKETS,
            registry=registry,
        )
        self._batch_requests = prometheus.Histogram(
            "batch_requests",
            "Requests whose sentences share one CTranslate2 call",
            namespace=NAMESPACE,
            buckets=BATCH_SENTENCE_BUCKETS,
            registry=registry,
        )
        self._batch_seconds = prometheus.Histogram(
            "batch_duration_seconds",
            "Time of one CTranslate2 call",
            namespace=NAMESPACE,
            buckets=LATENCY_BUCKETS_S,
            registry=registry,
        )
        self._queue_depth = prometheus.Gauge(
            "queue_sentences",
            "Sentences waiting for a batch",
            namespace=NAMESPACE,
            registry=registry,
        )
        self._cache = _CacheCollector(prometheus)
        registry.register(self._cache)
        prometheus.ProcessCollector(namespace=NAMESPACE, registry=registry)

    def record_request(self, method: str, status: str, seconds: float) -> None:
        labels = call_labels(method)
        self._handled.labels(*labels, status).inc()
        self._handling.labels(*labels).observe(seconds)

    def record_batch(self, record: BatchRecord) -> None:
        self._batch_sentences.observe(record.sentences)
        self._batch_tokens.observe(record.tokens)
        self._batch_requests.observe(record.requests)
        self._batch_seconds.observe(record.seconds)

    def watch_queue(self, depth: Callable[[], int]) -> None:
        """Reports ``depth()`` as the queue depth at every scrape."""
        self._queue_depth.set_function(depth)

    def watch_cache(self, stats: Callable[[], CacheStats]) -> None:
        """Reports the cache's counters and hit rate from ``stats()`` at every scrape."""
        self._cache.stats = stats


class _CacheCollector:
    """Reads the cache's own counters at scrape time, so lookups cost nothing extra."""

    def __init__(self, prometheus: ModuleType) -> None:
        self._families = importlib.import_module(f"{prometheus.__name__}.core")
        self.stats: Callable[[], CacheStats] | None = None

    def collect(self) -> Iterator[Any]:
        if self.stats is None:
            return
        stats = self.stats()
        families = self._families
        prefix = f"{NAMESPACE}_cache"
        yield families.CounterMetricFamily(
            f"{prefix}_hits", "Sentence cache lookups that hit", value=stats.hits
        )
        yield families.CounterMetricFamily(
            f"{prefix}_misses", "Sentence cache lookups that missed", value=stats.misses
        )
        yield families.GaugeMetricFamily(
            f"{prefix}_entries", "Sentences in the cache", value=stats.size
        )
        yield families.GaugeMetricFamily(
            f"{prefix}_hit_ratio", "Share of cache lookups that hit", value=stats.hit_rate
        )


def create_metrics(enabled: bool) -> Metrics:
    """A Prometheus recorder when ``enabled``, else a recorder that does nothing."""
    return PrometheusMetrics() if enabled else NullMetrics()


@dataclass
class MetricsServer:
    """The HTTP endpoint serving ``/metrics``; ``port`` is the bound one (ask for 0)."""

    host: str
    port: int
    _server: Any

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_metrics_server(
    port: int, host: str = "127.0.0.1", *, metrics: PrometheusMetrics
) -> MetricsServer:
    """Serves ``metrics`` at ``http://host:port/metrics`` from a daemon thread."""
    prometheus = _prometheus()
    try:
        server, _thread = prometheus.start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as error:
        raise MetricsError(
            f"cannot serve metrics on {host}:{port} ({error.strerror or error}); "
            "choose a free metrics port"
        ) from error
    return MetricsServer(host, int(server.server_port), server)
