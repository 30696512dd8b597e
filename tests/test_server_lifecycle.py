"""Starting, overload, deadlines, cancellation, shutdown, TLS: the server under stress.

An engine whose batches wait on a gate makes "in flight" and "queued" states that tests
can hold still, instead of racing a fast model.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tarjama.client import Translator
from tarjama.server.serve.app import (
    StartupError,
    TarjamaServer,
    create_server,
    server_options,
)
from tarjama.server.serve.config import ServerConfig
from tarjama.server.translate.engine import Engine, EngineOptions
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc as pb_grpc

SENTENCE = "أجرى الرئيس الروسي فلاديمير بوتين محادثات مع جون كيري."
OTHER = "وقال الناطق الرئاسي ديمتري بيسكوف إن موسكو لن تعلّق."
THIRD = "ورفض كيري التعليق عندما سئل عن هذا التقرير."


class GatedEngine:
    """An Engine whose batches wait until the test opens the gate."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.gate = threading.Event()
        self.busy = threading.Event()  # a batch is waiting at (or past) the gate
        self.translated: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def translate_batch(self, sources: Any, **options: Any) -> Any:
        self.busy.set()
        assert self.gate.wait(60), "the test never opened the gate"
        results = self._engine.translate_batch(sources, **options)
        self.translated.extend(result.source.text for result in results)
        return results


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"gave up waiting until {what}"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def engine(random_model_dir: Path) -> Engine:
    return Engine(random_model_dir, EngineOptions(max_decoding_length=8, beam_size=1))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


def base_config(home: Path, **settings: Any) -> ServerConfig:
    return ServerConfig(
        **{"home": home, "host": "127.0.0.1", "port": 0, "beam_size": 1, **settings}
    )


@pytest.fixture
def gated(engine: Engine, home: Path) -> Iterator[tuple[TarjamaServer, GatedEngine, Any]]:
    gated_engine = GatedEngine(engine)
    # No glossary: each request is one round, so a request let through never needs a
    # second place in the full queue (a re-decode of a term would).
    config = base_config(home, max_queue_sentences=2, default_glossaries=())
    server, port = create_server(config, gated_engine)  # type: ignore[arg-type]
    assert isinstance(server, TarjamaServer)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield server, gated_engine, pb_grpc.TranslatorStub(channel)
    gated_engine.gate.set()
    channel.close()
    server.stop(None).wait()


def in_background(call: Callable[[], Any]) -> Future[Any]:
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(call)
    pool.shutdown(wait=False)
    return future


def translate(stub: Any, text: str, **kwargs: Any) -> Callable[[], pb.TranslateResponse]:
    return lambda: stub.Translate(pb.TranslateRequest(text=text), **kwargs)


def test_not_serving_until_loaded(engine: Engine, home: Path) -> None:
    server = TarjamaServer(base_config(home))
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            stub = pb_grpc.TranslatorStub(channel)
            request = health_pb2.HealthCheckRequest(service="tarjama.v1.Translator")
            assert health.Check(request).status == health_pb2.HealthCheckResponse.NOT_SERVING
            with pytest.raises(grpc.RpcError) as raised:
                stub.Translate(pb.TranslateRequest(text=SENTENCE))
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "the server is starting" in raised.value.details()
            server.set_starting("fetching opus-mt-ar-en: 35 %")
            with pytest.raises(grpc.RpcError) as raised:
                stub.GetModelInfo(pb.GetModelInfoRequest())
            assert "(fetching opus-mt-ar-en: 35 %)" in raised.value.details()
            server.load(engine)
            assert health.Check(request).status == health_pb2.HealthCheckResponse.SERVING
            assert stub.Translate(pb.TranslateRequest(text=SENTENCE)).sentences
            reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
            [answer] = reflection.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])
            )
            services = {s.name for s in answer.list_services_response.service}
            assert {"tarjama.v1.Translator", "grpc.health.v1.Health"} <= services
    finally:
        server.stop(None).wait()


def test_a_deadline_expiring_in_the_queue(gated: Any) -> None:
    server, engine, stub = gated
    first = in_background(translate(stub, SENTENCE))
    assert engine.busy.wait(30)  # the only worker holds the first request at the gate
    with pytest.raises(grpc.RpcError) as raised:
        stub.Translate(pb.TranslateRequest(text=OTHER), timeout=0.5)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    batcher = server.backend.batcher
    wait_until(lambda: batcher.queue_depth() == 0, "the expired sentence left the queue")
    stats = batcher.stats()
    assert stats.expired_requests + stats.cancelled_requests == 1
    engine.gate.set()
    assert first.result(timeout=60).sentences
    assert OTHER not in engine.translated


def test_a_cancelled_stream_leaves_the_queue(gated: Any) -> None:
    server, engine, stub = gated
    first = in_background(translate(stub, SENTENCE))
    assert engine.busy.wait(30)
    requests: queue.Queue[pb.TranslateRequest | None] = queue.Queue()
    requests.put(pb.TranslateRequest(text=OTHER, request_id="streamed"))
    call = stub.TranslateStream(iter(requests.get, None))
    batcher = server.backend.batcher
    wait_until(lambda: batcher.queue_depth() == 1, "the streamed sentence is queued")
    call.cancel()
    wait_until(lambda: batcher.queue_depth() == 0, "the cancelled sentence left the queue")
    wait_until(lambda: batcher.stats().cancelled_requests == 1, "the batcher counted it")
    engine.gate.set()
    assert first.result(timeout=60).sentences
    assert stub.Translate(pb.TranslateRequest(text=THIRD)).sentences
    assert OTHER not in engine.translated


def test_a_full_queue_answers_resource_exhausted_with_a_retry_hint(gated: Any) -> None:
    server, engine, stub = gated
    first = in_background(translate(stub, SENTENCE))
    assert engine.busy.wait(30)
    queued = in_background(translate(stub, f"{OTHER}\n{THIRD}"))  # fills the 2 places
    batcher = server.backend.batcher
    wait_until(lambda: batcher.queue_depth() == 2, "the queue is full")
    with pytest.raises(grpc.RpcError) as raised:
        stub.Translate(pb.TranslateRequest(text="وقال لافروف إن المحادثات كانت مفيدة."))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "the translation queue is full" in raised.value.details()
    trailing = dict(raised.value.trailing_metadata())
    assert int(trailing["retry-after-ms"]) > 0
    engine.gate.set()
    assert first.result(timeout=60).sentences and len(queued.result(timeout=60).sentences) == 2


def test_stop_lets_calls_in_flight_finish_and_refuses_new_ones(gated: Any) -> None:
    server, engine, stub = gated
    in_flight = in_background(translate(stub, SENTENCE))
    assert engine.busy.wait(30)
    stopped = server.stop(30)
    with pytest.raises(grpc.RpcError) as raised:
        stub.Translate(pb.TranslateRequest(text=OTHER), timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    engine.gate.set()
    assert in_flight.result(timeout=60).sentences[0].source == SENTENCE
    assert stopped.wait(60)


class FailingEngine:
    """An Engine whose batches fail, as on a device that ran out of memory."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def translate_batch(self, sources: Any, **options: Any) -> Any:
        raise RuntimeError("out of memory")


def test_an_engine_failure_is_internal_and_the_server_keeps_serving(
    engine: Engine, home: Path
) -> None:
    server, port = create_server(base_config(home), FailingEngine(engine))  # type: ignore[arg-type]
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.TranslatorStub(channel)
            for _ in range(2):
                with pytest.raises(grpc.RpcError) as raised:
                    stub.Translate(pb.TranslateRequest(text=SENTENCE))
                assert raised.value.code() == grpc.StatusCode.INTERNAL
                assert "the server log has the details" in raised.value.details()
            assert stub.GetModelInfo(pb.GetModelInfoRequest()).name
    finally:
        server.stop(None).wait()


def test_metrics_endpoint_counts_requests_batches_and_cache(engine: Engine, home: Path) -> None:
    server, port = create_server(base_config(home, metrics_port=0), engine)
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.TranslatorStub(channel)
            for _ in range(2):
                stub.Translate(pb.TranslateRequest(text=SENTENCE))
            with pytest.raises(grpc.RpcError):
                stub.Translate(pb.TranslateRequest(text=""))
        assert isinstance(server, TarjamaServer) and server.metrics_server is not None
        url = f"http://127.0.0.1:{server.metrics_server.port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as answer:
            exposition = answer.read().decode()
    finally:
        server.stop(None).wait()
    labels = 'grpc_method="Translate",grpc_service="tarjama.v1.Translator",grpc_type="unary"'
    assert f'grpc_server_handled_total{{grpc_code="OK",{labels}}} 2.0' in exposition
    assert f'grpc_server_handled_total{{grpc_code="INVALID_ARGUMENT",{labels}}} 1.0' in exposition
    assert re.search(r"^tarjama_batch_sentences_count [1-9]", exposition, re.MULTILINE)
    assert "tarjama_cache_hits_total 1.0" in exposition
    assert "tarjama_queue_sentences 0.0" in exposition


def test_calls_beyond_the_concurrency_limit_are_refused_at_once(engine: Engine, home: Path) -> None:
    gated_engine = GatedEngine(engine)
    config = base_config(home, max_concurrent_calls=1)
    server, port = create_server(config, gated_engine)  # type: ignore[arg-type]
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.TranslatorStub(channel)
            first = in_background(translate(stub, SENTENCE))
            assert gated_engine.busy.wait(30)
            with pytest.raises(grpc.RpcError) as raised:
                stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=30)
            assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            gated_engine.gate.set()
            assert first.result(timeout=60).sentences
    finally:
        gated_engine.gate.set()
        server.stop(None).wait()


def test_a_message_over_the_size_limit_is_refused(engine: Engine, home: Path) -> None:
    server, port = create_server(base_config(home, max_message_bytes=4096), engine)
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.TranslatorStub(channel)
            with pytest.raises(grpc.RpcError) as raised:
                stub.Translate(pb.TranslateRequest(text=SENTENCE * 50))
            assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert stub.Translate(pb.TranslateRequest(text=SENTENCE)).sentences
    finally:
        server.stop(None).wait()


def test_a_missing_default_glossary_stops_the_start(engine: Engine, tmp_path: Path) -> None:
    config = base_config(tmp_path, default_glossaries=("news", "sport"))
    with pytest.raises(StartupError, match=r"default glossary missing .* 'sport' does not exist"):
        create_server(config, engine)


def test_a_taken_port_is_a_startup_error(engine: Engine, home: Path) -> None:
    server, port = create_server(base_config(home), engine)
    try:
        with pytest.raises(StartupError, match=rf"cannot listen on 127.0.0.1:{port}"):
            create_server(base_config(home, port=port), engine)
    finally:
        server.stop(None).wait()


def test_an_aged_connection_is_replaced_and_the_client_does_not_notice(
    engine: Engine, home: Path
) -> None:
    gated_engine = GatedEngine(engine)
    config = base_config(home, max_connection_age_ms=200)
    server, port = create_server(config, gated_engine)  # type: ignore[arg-type]
    server.start()
    states: list[grpc.ChannelConnectivity] = []
    try:
        with Translator(f"127.0.0.1:{port}", timeout=60) as translator:
            translator._channel.subscribe(states.append)  # the client's one connection
            in_flight = in_background(lambda: translator.translate(SENTENCE))
            assert gated_engine.busy.wait(30)
            time.sleep(0.5)  # past the age (±10 %): the server has sent GOAWAY
            gated_engine.gate.set()
            # The call in flight when the connection aged finishes on it (no grace limit).
            assert in_flight.result(timeout=60).sentences
            wait_until(lambda: states[-1] != grpc.ChannelConnectivity.READY, "it disconnects")
            # The next calls open a new connection on their own.
            assert all(translator.translate(SENTENCE).sentences for _ in range(3))
        first_ready = states.index(grpc.ChannelConnectivity.READY)
        assert grpc.ChannelConnectivity.READY in states[first_ready + 2 :], states
    finally:
        gated_engine.gate.set()
        server.stop(None).wait()


def test_connection_age_settings_become_channel_arguments(home: Path) -> None:
    aged = dict(server_options(base_config(home, max_connection_age_grace_ms=5000)))
    assert aged["grpc.max_connection_age_ms"] == 300_000  # the default
    assert aged["grpc.max_connection_age_grace_ms"] == 5000
    never = dict(server_options(base_config(home, max_connection_age_ms=None)))
    assert "grpc.max_connection_age_ms" not in never
    assert "grpc.max_connection_age_grace_ms" not in never


# -- TLS ----------------------------------------------------------------------------------


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, Any] | None
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(folder: Path, name: str, certificate: x509.Certificate, key: Any) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA, a server and a client certificate it signed, and a stranger's."""
    folder = tmp_path_factory.mktemp("pki")
    paths: dict[str, Path] = {}
    for ca_name, leaves in (("ca", ("server", "client")), ("rogue-ca", ("rogue",))):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate(ca_name, ca_key, None)
        paths[ca_name], _ = _pem(folder, ca_name, ca, ca_key)
        for leaf in leaves:
            key = ec.generate_private_key(ec.SECP256R1())
            certificate = _certificate(leaf, key, (ca.subject, ca_key))
            paths[leaf], paths[f"{leaf}-key"] = _pem(folder, leaf, certificate, key)
    return paths


def _model_info(port: int, credentials: grpc.ChannelCredentials | None) -> grpc.StatusCode:
    address = f"localhost:{port}"
    channel = (
        grpc.secure_channel(address, credentials) if credentials else grpc.insecure_channel(address)
    )
    with channel:
        try:
            pb_grpc.TranslatorStub(channel).GetModelInfo(pb.GetModelInfoRequest(), timeout=10)
        except grpc.RpcError as error:
            return error.code()
    return grpc.StatusCode.OK


def _client_credentials(pki: dict[str, Path], client: str | None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=pki["ca"].read_bytes(),
        private_key=pki[f"{client}-key"].read_bytes() if client else None,
        certificate_chain=pki[client].read_bytes() if client else None,
    )


@pytest.mark.parametrize(
    ("mutual", "client", "plaintext", "expected"),
    [
        (False, None, False, grpc.StatusCode.OK),
        (False, None, True, grpc.StatusCode.UNAVAILABLE),
        (True, "client", False, grpc.StatusCode.OK),
        (True, None, False, grpc.StatusCode.UNAVAILABLE),
        (True, "rogue", False, grpc.StatusCode.UNAVAILABLE),
    ],
)
def test_tls_and_mutual_tls(
    engine: Engine,
    home: Path,
    pki: dict[str, Path],
    mutual: bool,
    client: str | None,
    plaintext: bool,
    expected: grpc.StatusCode,
) -> None:
    config = replace(
        base_config(home),
        host="localhost",
        tls_cert=pki["server"],
        tls_key=pki["server-key"],
        tls_client_ca=pki["ca"] if mutual else None,
    )
    server, port = create_server(config, engine)
    server.start()
    try:
        credentials = None if plaintext else _client_credentials(pki, client)
        assert _model_info(port, credentials) == expected
    finally:
        server.stop(None).wait()


# -- `tarjama serve` in a process ---------------------------------------------------------


_CONSOLE_SCRIPT = "import sys; from tarjama.client.cli import main; sys.exit(main())"


def _serve(*args: str, home: Path) -> subprocess.Popen[str]:
    environment = {**os.environ, "TARJAMA_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        # As the `tarjama` console script does; `python -m tarjama.client.cli` would load
        # the CLI module twice (as __main__ too), and its CliError would not be caught.
        [sys.executable, "-c", _CONSOLE_SCRIPT, "serve", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_finishes_calls_in_flight_and_exits_0(random_model_dir: Path, home: Path) -> None:
    process = _serve(
        "--model", str(random_model_dir), "--host", "127.0.0.1", "--port", "0",
        "--log-format", "json", "--grace-period-s", "60",
        home=home,
    )  # fmt: skip
    lines: queue.Queue[dict[str, Any]] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(json.loads(line)) for line in process.stderr],  # type: ignore[union-attr]
        daemon=True,
    ).start()
    try:
        port = next(e["port"] for e in iter(lambda: lines.get(timeout=60), None) if "port" in e)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            wait_until(
                lambda: (
                    health.Check(health_pb2.HealthCheckRequest()).status
                    == health_pb2.HealthCheckResponse.SERVING
                ),
                "the server is serving",
                timeout=60,
            )
            stub = pb_grpc.TranslatorStub(channel)
            # Random weights decode to the length cap: several sentences keep it busy.
            in_flight = stub.Translate.future(
                pb.TranslateRequest(text=f"{SENTENCE}\n{OTHER}\n{THIRD}", request_id="last")
            )
            time.sleep(0.3)  # let the call reach the server; the assertions hold either way
            process.send_signal(signal.SIGTERM)
            response = in_flight.result(timeout=120)
        assert response.request_id == "last" and len(response.sentences) == 3
        assert process.wait(timeout=120) == 0
    finally:
        process.kill()
    logged = []
    while not lines.empty():
        logged.append(lines.get())
    [request_line] = [entry for entry in logged if entry.get("request_id") == "last"]
    assert (request_line["method"], request_line["status"]) == ("Translate", "OK")
    assert request_line["sentences"] == 3


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (("--port", "0", "--no-fetch"), 1, "no model installed in .*: run `tarjama model fetch`"),
        (("--port", "99999"), 2, "--port: port must be between 0 and 65535, got 99999"),
        (("--model", "opus-mt-xx"), 1, "model 'opus-mt-xx' is not installed"),
    ],
)
def test_serve_errors_are_one_line(
    tmp_path: Path, args: tuple[str, ...], exit_code: int, message: str
) -> None:
    process = _serve(*args, "--log-level", "error", home=tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == exit_code
    [line] = stderr.strip().splitlines()
    assert line.startswith("tarjama: error: ")
    assert re.search(message, line), line
