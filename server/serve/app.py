"""Assembling and running the gRPC server.

:func:`create_server` builds a ready server bound to its port (tests bind port 0);
:func:`serve` runs one until SIGTERM or SIGINT. Both go through :class:`TarjamaServer`,
which holds the `grpc.Server`, starts NOT_SERVING in the standard health service, loads
the model and glossaries, then turns SERVING; until then every RPC answers UNAVAILABLE.
Calls run on a thread pool because the pipeline blocks while the batcher's own threads
run CTranslate2.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from tarjama import __version__
from tarjama.server.serve.auth import BearerTokenInterceptor, server_credentials
from tarjama.server.serve.batcher import Batcher, BatcherOptions
from tarjama.server.serve.config import ServerConfig, token_problem, unknown_environment
from tarjama.server.serve.logs import CallLog, configure_logging
from tarjama.server.serve.metrics import (
    Metrics,
    MetricsError,
    MetricsServer,
    PrometheusMetrics,
    create_metrics,
    start_metrics_server,
)
from tarjama.server.serve.requests import SERVICE_NAME, add_to_server
from tarjama.server.serve.service import Backend, TranslatorService
from tarjama.server.serve.tracing import TracingError, start_tracing
from tarjama.server.stores.glossaries import GlossaryStore, UnknownGlossaryError
from tarjama.server.stores.models import ModelStore
from tarjama.server.translate.cache import SentenceCache
from tarjama.server.translate.engine import Engine, EngineOptions
from tarjama.server.translate.pipeline import Pipeline
from tarjama.v1 import translator_pb2 as pb

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The server cannot start as configured; the message says what to change."""


class TarjamaServer:
    """The gRPC server with what it serves: health, the model, the batcher, the stores.

    ``grpc_server`` is the `grpc.Server` itself; :meth:`stop` winds everything down.
    """

    def __init__(self, config: ServerConfig, *, tracer_provider: Any = None) -> None:
        """``tracer_provider``: an OpenTelemetry SDK provider of the caller's (a program
        embedding the server, a test) to trace into, instead of the one ``otel_exporter``
        builds."""
        self.config = config
        if config.auth_token and (problem := token_problem(config.auth_token)):
            raise StartupError(f"auth_token {problem}")
        try:
            self.metrics = create_metrics(config.metrics_port is not None)
            self.tracing = start_tracing(config.otel_exporter, tracer_provider)
        except (MetricsError, TracingError) as error:
            raise StartupError(str(error)) from None
        call_log = CallLog(self.metrics)
        self.service = TranslatorService(config, call_log)
        self.health = health.HealthServicer()
        self.backend: Backend | None = None
        self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        interceptors: list[grpc.ServerInterceptor] = []
        if self.tracing is not None:  # first, so that refused calls are traced too
            interceptors += self.tracing.interceptors()
        if config.auth_token:
            interceptors.append(BearerTokenInterceptor(config.auth_token, call_log))
        self._calls = DrainingExecutor(config.rpc_threads)
        self.grpc_server = grpc.server(
            self._calls,  # type: ignore[arg-type]  # grpc only calls submit()
            interceptors=interceptors,
            options=server_options(config),
            maximum_concurrent_rpcs=config.max_concurrent_calls,
        )
        add_to_server(self.service, self.grpc_server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.grpc_server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self.grpc_server
        )
        self.port = self._bind()
        self.metrics_server: MetricsServer | None = None
        if isinstance(self.metrics, PrometheusMetrics) and config.metrics_port is not None:
            try:
                self.metrics_server = start_metrics_server(
                    config.metrics_port, config.metrics_host, metrics=self.metrics
                )
            except MetricsError as error:
                raise StartupError(str(error)) from None

    def load(self, engine: Engine | None = None) -> None:
        """Loads the model (unless given) and the glossaries, then turns SERVING."""
        config = self.config
        engine = engine or load_engine(config)
        self.backend = build_backend(config, engine, self.metrics)
        self.service.attach(self.backend)
        self._set_health(health_pb2.HealthCheckResponse.SERVING)
        log.info(
            "serving %s (%s, %s) on port %d%s",
            engine.manifest.name, engine.device, engine.compute_type, self.port,
            " with TLS" if config.tls else "",
        )  # fmt: skip

    # -- running ------------------------------------------------------------------------

    def start(self) -> None:
        self.grpc_server.start()

    def stop(self, grace: float | None) -> threading.Event:
        """Stops accepting calls, lets those in flight finish within `grace` seconds, then
        stops the batcher; the event is set once all of it is done. Calls that have not
        started yet (waiting for a thread) answer UNAVAILABLE at once, logged, so that
        clients retry them elsewhere instead of seeing them cancelled when `grace` ends."""
        self.health.enter_graceful_shutdown()
        grpc_stopped = self.grpc_server.stop(grace)
        self._calls.drain(self.service.refusing)
        done = threading.Event()

        def wind_down() -> None:
            grpc_stopped.wait()
            if self.backend is not None:
                self.backend.batcher.stop(timeout=5.0)
            self.service.close()
            if self.metrics_server is not None:
                self.metrics_server.close()
            if self.tracing is not None:
                self.tracing.close()
            done.set()

        threading.Thread(target=wind_down, name="tarjama-stop", daemon=True).start()
        return done

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        return self.grpc_server.wait_for_termination(timeout)

    # -- helpers ---------------------------------------------------------------------------

    def set_starting(self, doing: str) -> None:
        """What the server says it is doing until it serves (e.g. "fetching the model: 35 %")."""
        self.service.starting = doing

    def _set_health(self, status: int) -> None:
        for service in ("", SERVICE_NAME):
            self.health.set(service, status)

    def _bind(self) -> int:
        config = self.config
        host = f"[{config.host}]" if ":" in config.host and "[" not in config.host else config.host
        address = f"{host}:{config.port}"
        try:
            if config.tls:
                port = self.grpc_server.add_secure_port(address, server_credentials(config))
            else:
                port = self.grpc_server.add_insecure_port(address)
        except RuntimeError:
            port = 0
        if not port:
            if self.tracing is not None:
                self.tracing.close()
            raise StartupError(
                f"cannot listen on {address}: the port is taken or the address is not this "
                "machine's; choose another --port or --host"
            )
        return port


class DrainingExecutor:
    """The RPC thread pool, with one thing ThreadPoolExecutor lacks: :meth:`drain` runs
    the calls still waiting for a thread at once on a thread of its own, so that at
    shutdown they answer (UNAVAILABLE) instead of waiting behind calls in flight."""

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tarjama-rpc")
        self._waiting: deque[Callable[[], object]] = deque()

    def submit(self, fn: Callable[..., object], /, *args: Any, **kwargs: Any) -> Future[None]:
        self._waiting.append(lambda: fn(*args, **kwargs))
        return self._pool.submit(self._run_next)

    def drain(self, context: Callable[[], AbstractContextManager[object]]) -> None:
        """Runs the waiting calls, each inside ``context()``, on a thread of its own."""
        threading.Thread(
            target=self._run_all, args=(context,), name="tarjama-rpc-drain", daemon=True
        ).start()

    def _run_next(self) -> None:
        try:
            work = self._waiting.popleft()
        except IndexError:
            return  # drain() ran it
        work()

    def _run_all(self, context: Callable[[], AbstractContextManager[object]]) -> None:
        while True:
            try:
                work = self._waiting.popleft()
            except IndexError:
                return
            try:
                with context():
                    work()
            except Exception:
                log.exception("a call failed while the server was stopping")


def server_options(config: ServerConfig) -> list[tuple[str, int]]:
    """The gRPC server's channel arguments."""
    options = [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_concurrent_streams", config.max_concurrent_streams),
        ("grpc.so_reuseport", 0),  # a second server on the same port must fail
    ]
    if config.max_connection_age_ms is not None:
        options.append(("grpc.max_connection_age_ms", config.max_connection_age_ms))
    if config.max_connection_age_grace_ms is not None:
        options.append(("grpc.max_connection_age_grace_ms", config.max_connection_age_grace_ms))
    return options


def build_backend(config: ServerConfig, engine: Engine, metrics: Metrics) -> Backend:
    """The glossary store, batcher, cache and pipeline over ``engine``, with the batcher
    started: what the servicer (and ``tarjama batch``, without gRPC) translates with."""
    store = GlossaryStore(config.glossary_dir, check_interval_s=config.glossary_check_ms / 1000)
    store.open()
    try:
        store.matcher(config.default_glossaries)
    except UnknownGlossaryError as error:
        raise StartupError(
            f"default glossary missing in {config.glossary_dir}: {error}; add it or "
            "change default_glossaries"
        ) from None
    batcher = Batcher(
        engine,
        BatcherOptions(
            max_batch_tokens=config.max_batch_tokens,
            max_batch_sentences=config.max_batch_sentences,
            max_wait_ms=config.max_wait_ms,
            max_queue_sentences=config.max_queue_sentences,
            workers=config.batch_workers,
        ),
        on_batch=metrics.record_batch,
    )
    cache = SentenceCache(config.cache_entries) if config.cache_entries else None
    metrics.watch_queue(batcher.queue_depth)
    if cache is not None:
        metrics.watch_cache(cache.stats)
    pipeline = Pipeline(model_name=engine.manifest.name, cache=cache)
    batcher.start()
    return Backend(pipeline, batcher, store, model_info(engine, config))


def load_engine(config: ServerConfig) -> Engine:
    """The configured model: a folder, an installed model's name, or the store's default.

    Raises ModelStoreError (no model installed, unknown name) or EngineError.
    """
    candidate = Path(config.model).expanduser()
    if config.model and (candidate.is_dir() or len(candidate.parts) > 1):
        model_dir = candidate
    else:
        model_dir = ModelStore(config.home).model_path(config.model or None)
    options = EngineOptions(
        device=config.device,
        compute_type=config.compute_type,
        inter_threads=config.inter_threads,
        intra_threads=config.intra_threads,
        beam_size=config.beam_size,
    )
    return Engine(model_dir, options)


def model_info(engine: Engine, config: ServerConfig) -> pb.ModelInfo:
    manifest = engine.manifest
    return pb.ModelInfo(
        name=manifest.name,
        source_language=manifest.source_language,
        target_language=manifest.target_language,
        architecture=manifest.architecture,
        compute_type=engine.compute_type,
        device=engine.device,
        default_beam_size=engine.options.beam_size,
        # OPUS-MT's transformer-align models train one attention head for alignment.
        supports_alignment="align" in manifest.architecture,
        source_url=manifest.source_url,
        sha256=manifest.archive_sha256,
        server_version=__version__,
        default_glossaries=list(config.default_glossaries),
        limits=pb.Limits(
            max_characters=config.max_characters,
            max_sentences=config.max_sentences,
            max_inline_terms=config.max_inline_terms,
            max_message_bytes=config.max_message_bytes,
            max_beam_size=config.max_beam_size,
        ),
    )


def create_server(
    config: ServerConfig, engine: Engine | None = None, *, tracer_provider: Any = None
) -> tuple[TarjamaServer, int]:
    """A loaded server bound to its port, not started yet: call ``start()`` on it."""
    server = TarjamaServer(config, tracer_provider=tracer_provider)
    try:
        server.load(engine)
    except BaseException:
        server.stop(None)
        raise
    return server, server.port


def serve(
    config: ServerConfig, prepare: Callable[[Callable[[str], None]], None] | None = None
) -> int:
    """Runs the server until SIGTERM or SIGINT, then shuts down gracefully; returns 0.

    The server listens at once (NOT_SERVING); ``prepare`` (e.g. fetching the model on first
    use) then runs with a callback that sets what early calls are told it is doing."""
    configure_logging(config)
    for name in unknown_environment():
        log.warning("%s is not a server setting and is ignored (see `tarjama serve --help`)", name)
    if not config.auth_token:
        log.warning("no auth_token set: anyone who reaches the port can change glossaries")
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        log.info("%s received: finishing calls in flight", signal.Signals(signum).name)
        stop_requested.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    server = TarjamaServer(config)
    server.start()
    log.info(
        "listening on %s:%d (NOT_SERVING while loading)",
        config.host, server.port,
        extra={"fields": {"host": config.host, "port": server.port}},
    )  # fmt: skip
    try:
        if prepare is not None:
            prepare(server.set_starting)
        server.set_starting("loading the model and glossaries")
        server.load()
    except BaseException:
        server.stop(None).wait()
        raise
    stop_requested.wait()
    started = time.monotonic()
    server.stop(config.grace_period_s).wait()
    log.info("stopped in %.1f s", time.monotonic() - started)
    return 0
