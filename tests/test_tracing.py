"""OpenTelemetry tracing: a span per call continuing the client's trace, spans for the
pipeline's stages, and clear errors when the packages tracing needs are missing.

Spans go to the SDK's in-memory exporter; servers and clients talk over loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from tarjama import tracing
from tarjama.client import InvalidRequest, NotFound, TarjamaError, Translator
from tarjama.server.serve.app import StartupError, TarjamaServer, create_server
from tarjama.server.serve.config import ServerConfig
from tarjama.server.serve.tracing import (
    TracingError,
    build_provider,
    excluded_services,
    start_tracing,
)
from tarjama.server.translate.engine import Engine, EngineOptions
from tests.test_server_lifecycle import FailingEngine

SENTENCE = "أجرى الرئيس الروسي فلاديمير بوتين محادثات مع جون كيري."
TRANSLATE = "/tarjama.v1.Translator/Translate"
STREAM = "/tarjama.v1.Translator/TranslateStream"


@pytest.fixture(scope="module")
def engine(random_model_dir: Path) -> Engine:
    return Engine(random_model_dir, EngineOptions(max_decoding_length=8, beam_size=1))


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def config(home: Path, **settings: Any) -> ServerConfig:
    return ServerConfig(
        **{"home": home, "host": "127.0.0.1", "port": 0, "beam_size": 1, **settings}
    )


def named(finished: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in finished if span.name == name]


def traced_calls(model_dir: Path, home: Path, client: str) -> dict[str, Any]:
    """The spans of tests/trace_propagation.py's calls, made in a process of their own."""
    program = ["-m", "tests.trace_propagation", str(model_dir), str(home), client]
    result = subprocess.run(
        [sys.executable, *program],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("client", ["sync", "aio"])
def test_the_client_span_is_the_parent_of_the_server_span_and_its_stages(
    random_model_dir: Path, tmp_path: Path, client: str
) -> None:
    traced = traced_calls(random_model_dir, tmp_path, client)
    finished = traced["spans"]

    def named(name: str, kind: str = "INTERNAL") -> list[dict[str, Any]]:
        return [span for span in finished if span["name"] == name and span["kind"] == kind]

    [client] = named(TRANSLATE, "CLIENT")
    [call] = named(TRANSLATE, "SERVER")
    assert call["trace_id"] == client["trace_id"]
    assert call["parent_id"] == client["span_id"]
    assert call["attributes"]["rpc.grpc.status_code"] == 0
    # The stages that run on the call's thread are children of the call's span.
    [segment] = named("tarjama.segment")
    assert segment["parent_id"] == call["span_id"]
    assert segment["attributes"]["tarjama.sentences"] == traced["sentences"]
    matches = named("tarjama.glossary.match")
    assert matches and all(match["trace_id"] == call["trace_id"] for match in matches)
    assert max(match["attributes"]["tarjama.glossary.hits"] for match in matches) >= 1  # بوتين
    # Model calls run on the batcher's thread, one batch for the sentences of all requests.
    [model_call, *_] = named("tarjama.model.translate_batch")
    assert model_call["attributes"]["tarjama.batch.sentences"] >= 1
    assert model_call["attributes"]["tarjama.batch.source_tokens"] > 0
    assert model_call["attributes"]["tarjama.batch.target_tokens"] > 0
    assert model_call["attributes"]["tarjama.beam_size"] == 1
    # The client's health check has its client span; the server leaves probes out.
    assert named("/grpc.health.v1.Health/Check", "CLIENT")
    assert not named("/grpc.health.v1.Health/Check", "SERVER")


def test_a_stream_s_documents_are_traced_under_its_call(random_model_dir: Path, tmp_path: Path):
    """The stream's reader and workers run in the call's context: one trace per stream."""
    finished = traced_calls(random_model_dir, tmp_path, "stream")["spans"]
    [call] = [s for s in finished if s["name"] == STREAM and s["kind"] == "SERVER"]
    documents = [s for s in finished if s["name"] == "tarjama.pipeline.translate"]
    assert len(documents) == 2
    assert all(document["parent_id"] == call["span_id"] for document in documents)
    under = {document["span_id"] for document in documents}
    matches = [s for s in finished if s["name"] == "tarjama.glossary.match"]
    assert matches and all(match["parent_id"] in under for match in matches)
    rounds = [s for s in finished if s["name"] == "tarjama.batcher.wait"]
    assert {r["parent_id"] for r in rounds} == under  # each document's model rounds


def test_a_failed_call_is_a_span_with_its_status(
    engine: Engine, tmp_path: Path, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    server, port = create_server(config(tmp_path), engine, tracer_provider=provider)
    server.start()
    try:
        with Translator(f"127.0.0.1:{port}", retries=0) as translator:
            with pytest.raises(InvalidRequest):
                translator.translate("")
            with pytest.raises(NotFound):
                translator.translate("نص", glossaries=["no-such-glossary"])
    finally:
        server.stop(None).wait()
    calls = named(exporter.get_finished_spans(), TRANSLATE)
    codes = [dict(call.attributes or {})["rpc.grpc.status_code"] for call in calls]
    assert codes == [grpc.StatusCode.INVALID_ARGUMENT.value[0], grpc.StatusCode.NOT_FOUND.value[0]]
    # A client's mistake is not the server's error (OpenTelemetry's gRPC conventions).
    assert all(call.status.status_code == StatusCode.UNSET for call in calls)


def test_a_server_failure_is_an_error_span(
    engine: Engine, tmp_path: Path, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    failing = FailingEngine(engine)
    server, port = create_server(config(tmp_path), failing, tracer_provider=provider)  # type: ignore[arg-type]
    server.start()
    try:
        with (
            Translator(f"127.0.0.1:{port}", retries=0) as translator,
            pytest.raises(TarjamaError, match="internal error"),
        ):
            translator.translate(SENTENCE)
    finally:
        server.stop(None).wait()
    [call] = named(exporter.get_finished_spans(), TRANSLATE)
    assert dict(call.attributes or {})["rpc.grpc.status_code"] == grpc.StatusCode.INTERNAL.value[0]
    assert call.status.status_code == StatusCode.ERROR


def test_stage_spans_go_back_to_the_global_tracer_when_the_server_stops(
    engine: Engine, tmp_path: Path, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    server, _port = create_server(config(tmp_path), engine, tracer_provider=provider)
    server.stop(None).wait()
    with tracing.stage("after the server"):
        pass
    assert not named(exporter.get_finished_spans(), "after the server")


def test_a_server_that_fails_to_start_leaves_the_stages_alone(
    engine: Engine, tmp_path: Path, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    server, port = create_server(config(tmp_path), engine)
    try:
        with pytest.raises(StartupError, match="cannot listen"):
            create_server(config(tmp_path, port=port), engine, tracer_provider=provider)
    finally:
        server.stop(None).wait()
    with tracing.stage("after the failed start"):
        pass
    assert not exporter.get_finished_spans()


def test_tracing_is_off_by_default(engine: Engine, tmp_path: Path) -> None:
    server, _port = create_server(config(tmp_path), engine)
    try:
        assert server.tracing is None
    finally:
        server.stop(None).wait()


def test_the_console_exporter_names_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    provider = build_provider("console")
    assert provider.resource.attributes["service.name"] == "tarjama"
    provider.shutdown()
    monkeypatch.setenv("OTEL_SERVICE_NAME", "newsroom-mt")  # OpenTelemetry's own setting
    provider = build_provider("console")
    assert provider.resource.attributes["service.name"] == "newsroom-mt"
    provider.shutdown()


@pytest.mark.parametrize(
    ("environ", "excluded"),
    [
        ({}, ("grpc.health.v1.Health",)),
        ({"OTEL_PYTHON_GRPC_EXCLUDED_SERVICES": ""}, ()),
        (
            {"OTEL_PYTHON_GRPC_EXCLUDED_SERVICES": "grpc.health.v1.Health, tarjama.v1.Translator"},
            ("grpc.health.v1.Health", "tarjama.v1.Translator"),
        ),
    ],
)
def test_excluded_services(environ: dict[str, str], excluded: tuple[str, ...]) -> None:
    assert excluded_services(environ) == excluded


@pytest.mark.parametrize(
    ("missing", "exporter", "match"),
    [
        ("opentelemetry.exporter.otlp.proto.grpc.trace_exporter", "otlp", r"OTLP exporter"),
        ("opentelemetry.sdk.trace", "console", r"needs opentelemetry-sdk"),
        ("opentelemetry.instrumentation.grpc", "console", r"opentelemetry-instrumentation-grpc"),
    ],
)
def test_a_missing_package_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, missing: str, exporter: str, match: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(TracingError, match=match) as raised:
        start_tracing(exporter)
    assert "pip install 'tarjama[otel]'" in str(raised.value)


def test_a_server_that_cannot_trace_does_not_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.grpc.trace_exporter", None)
    with pytest.raises(StartupError, match=r"tarjama\[otel\]"):
        TarjamaServer(config(tmp_path, otel_exporter="otlp"))


def test_stages_cost_nothing_without_opentelemetry() -> None:
    program = """
import sys
sys.modules["opentelemetry"] = None  # as if tarjama[otel] were not installed
from tarjama import tracing
from tarjama.glossary import Matcher
from tarjama.server.translate.segment import segment
assert tracing.stage("a") is tracing.stage("b")  # one shared do-nothing context
print(len(segment("جملة أولى. جملة ثانية.")), Matcher([]).find("نص"))
"""
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "[]"]


def test_a_global_tracer_provider_gets_the_stages() -> None:
    program = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tarjama.server.translate.segment import segment
segment("قبل أن يُضبط أي شيء.")  # no provider yet: no span
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)  # a program's own, as opentelemetry-instrument sets
segment("جملة أولى. جملة ثانية.")
print([(s.name, s.attributes["tarjama.sentences"]) for s in exporter.get_finished_spans()])
"""
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('tarjama.segment', 2)]"
