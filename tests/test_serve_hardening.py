"""What an attacker or a busy newsroom found (issue 11): stream read-ahead, connection
limits, error sizes, undecodable requests, rich error details, shutdown, tokens, metrics.

Servers here run the random-weight model with a short greedy decode; a gated engine holds
batches still where a test needs calls "in flight" or "waiting".
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tarjama.server.serve.app import StartupError, TarjamaServer, create_server
from tarjama.server.serve.config import ConfigError, ServerConfig, load_config
from tarjama.server.translate.engine import Engine, EngineOptions
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc as pb_grpc
from tests.test_server_lifecycle import GatedEngine, in_background, wait_until

SENTENCE = "أجرى الرئيس الروسي فلاديمير بوتين محادثات مع جون كيري."


@pytest.fixture(scope="module")
def engine(random_model_dir: Path) -> Engine:
    return Engine(random_model_dir, EngineOptions(max_decoding_length=4, beam_size=1))


def config(home: Path, **settings: Any) -> ServerConfig:
    return ServerConfig(**{"home": home, "host": "127.0.0.1", "port": 0, "beam_size": 1} | settings)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., tuple[TarjamaServer, Any]]]:
    """Starts a server on the given engine and settings; stops it (and its channel) after."""
    started: list[tuple[TarjamaServer, grpc.Channel]] = []

    def start(engine: Any, **settings: Any) -> tuple[TarjamaServer, Any]:
        server, port = create_server(config(tmp_path, **settings), engine)
        server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        started.append((server, channel))
        return server, channel

    yield start
    for server, channel in started:
        channel.close()
        server.stop(None).wait()


def error_of(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def details_of(error: grpc.RpcError, kind: type[Any]) -> list[Any]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "no google.rpc.Status in the trailers"
    found = []
    for packed in status.details:
        detail = kind()
        if packed.Unpack(detail):
            found.append(detail)
    return found


# -- item 7: a stream's read-ahead never fills the shared queue ---------------------------


def test_a_stream_of_large_requests_slows_down_instead_of_filling_the_queue(
    engine: Engine, serve: Any
) -> None:
    # 8 requests read ahead x 8 sentences = 64, over a queue of 20: each alone fits.
    _, channel = serve(engine, max_queue_sentences=20, max_sentences=10, stream_read_ahead=8)
    text = "\n".join(f"قال بوتين {number}." for number in range(8))
    requests = [pb.TranslateRequest(text=text, request_id=f"r{n}") for n in range(10)]
    responses = list(pb_grpc.TranslatorStub(channel).TranslateStream(iter(requests)))
    assert [r.request_id for r in responses] == [f"r{n}" for n in range(10)]
    assert all(len(r.sentences) == 8 for r in responses)


# -- item 8: 128 concurrent calls on one connection, default settings ---------------------


class CountingGate(GatedEngine):
    """Counts the sentences that reached the gate, to know when every call has arrived."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.at_gate = 0

    def translate_batch(self, sources: Any, **options: Any) -> Any:
        self.at_gate += len(sources)
        return super().translate_batch(sources, **options)


def test_128_concurrent_calls_on_one_connection_all_succeed(engine: Engine, serve: Any) -> None:
    gated = CountingGate(engine)
    server, channel = serve(gated)
    stub = pb_grpc.TranslatorStub(channel)
    request = pb.TranslateRequest(text=SENTENCE, options=pb.TranslateOptions(skip_cache=True))
    try:
        calls = [stub.Translate.future(request, timeout=120) for _ in range(128)]
        batcher = server.backend.batcher  # type: ignore[union-attr]
        wait_until(
            lambda: gated.at_gate + batcher.queue_depth() == 128 or any(c.done() for c in calls),
            "all 128 calls are on the server at once",
        )
    finally:
        gated.gate.set()
    assert [call.result().sentences[0].source for call in calls] == [SENTENCE] * 128


# -- item 9: error messages are bounded ---------------------------------------------------


def test_not_found_lists_a_bounded_number_of_glossaries(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "glossaries"
    folder.mkdir()
    for number in range(400):
        name = f"desk-{number:03d}-" + "x" * 50
        (folder / f"{name}.yaml").write_text(
            f"name: {name}\nterms:\n  - source: تدمر\n    target: Palmyra\n", encoding="utf-8"
        )
    server, port = create_server(config(tmp_path, default_glossaries=()), engine)
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.TranslatorStub(channel)
            error = error_of(
                lambda: stub.Translate(pb.TranslateRequest(text=SENTENCE, glossaries=["sport"]))
            )
    finally:
        server.stop(None).wait()
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert len(error.details().encode()) <= 1024
    assert error.details().startswith("glossary 'sport' does not exist (the server has: desk-000")
    assert error.details().endswith("check the name in `glossaries`")


def test_no_error_message_grows_with_the_input(engine: Engine, serve: Any) -> None:
    _, channel = serve(engine)
    stub = pb_grpc.TranslatorStub(channel)
    # 500 terms with no Arabic letter: 20 problems, each quoting 40 characters, are listed.
    terms = [pb.Term(source=[f"Tadmur-{n:03d}-" * 6], target="Palmyra") for n in range(500)]
    error = error_of(lambda: stub.Translate(pb.TranslateRequest(text=SENTENCE, terms=terms)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(error.details().encode()) <= 1024
    assert error.details().endswith("(shortened)")
    [bad_request] = details_of(error, error_details_pb2.BadRequest)
    assert bad_request.field_violations[0].field == "terms"


# -- item 10: a request that does not parse -----------------------------------------------


INVALID_UTF8_REQUEST = b"\x0a\x04\xd8\xa3\xff\xfe"  # TranslateRequest.text = 4 bytes, not UTF-8


@pytest.mark.parametrize("streamed", [False, True], ids=["unary", "stream"])
def test_invalid_utf8_is_invalid_argument_with_one_log_line(
    engine: Engine, serve: Any, caplog: pytest.LogCaptureFixture, streamed: bool
) -> None:
    _, channel = serve(engine)
    path = "/tarjama.v1.Translator/" + ("TranslateStream" if streamed else "Translate")
    if streamed:
        call = channel.stream_stream(path)
        send = lambda: list(call(iter([INVALID_UTF8_REQUEST])))  # noqa: E731
    else:
        call = channel.unary_unary(path)
        send = lambda: call(INVALID_UTF8_REQUEST)  # noqa: E731
    with caplog.at_level(logging.INFO):
        error = error_of(send)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "could not be parsed" in error.details() and "UTF-8" in error.details()
        # The server still answers a good request on the same connection.
        assert pb_grpc.TranslatorStub(channel).Translate(pb.TranslateRequest(text=SENTENCE))
    assert not [record for record in caplog.records if record.exc_info]
    lines = [r.getMessage() for r in caplog.records if r.name == "tarjama.server.requests"]
    assert [line for line in lines if "INVALID_ARGUMENT" in line] == [
        line for line in lines if "status=INVALID_ARGUMENT" in line
    ]
    assert sum("status=INVALID_ARGUMENT" in line for line in lines) == 1


# -- item 11: rich error details ----------------------------------------------------------


def test_a_full_queue_sends_retry_info_quota_failure_and_the_old_trailer(
    engine: Engine, serve: Any
) -> None:
    gated = GatedEngine(engine)
    # No glossary: each request is one round, so the first's sentence needs no second place.
    server, channel = serve(gated, max_queue_sentences=1, default_glossaries=())
    stub = pb_grpc.TranslatorStub(channel)
    try:
        first = in_background(lambda: stub.Translate(pb.TranslateRequest(text=SENTENCE)))
        assert gated.busy.wait(30)
        queued = in_background(lambda: stub.Translate(pb.TranslateRequest(text="وقال كيري.")))
        batcher = server.backend.batcher  # type: ignore[union-attr]
        wait_until(lambda: batcher.queue_depth() == 1, "the queue is full")
        error = error_of(lambda: stub.Translate(pb.TranslateRequest(text="في موسكو.")))
    finally:
        gated.gate.set()
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    [retry] = details_of(error, error_details_pb2.RetryInfo)
    [quota] = details_of(error, error_details_pb2.QuotaFailure)
    assert retry.retry_delay.ToMilliseconds() > 0
    assert quota.violations[0].subject == "translation queue"
    trailer = dict(error.trailing_metadata())["retry-after-ms"]  # type: ignore[arg-type]
    assert int(trailer) == retry.retry_delay.ToMilliseconds()
    assert first.result(timeout=60).sentences and queued.result(timeout=60).sentences


def test_a_limit_names_the_field_to_fix(engine: Engine, serve: Any) -> None:
    _, channel = serve(engine, max_characters=100)
    stub = pb_grpc.TranslatorStub(channel)
    error = error_of(lambda: stub.Translate(pb.TranslateRequest(text=SENTENCE * 3)))
    [bad_request] = details_of(error, error_details_pb2.BadRequest)
    [(field, description)] = [(v.field, v.description) for v in bad_request.field_violations]
    assert field == "text" and description == error.details()
    assert "over the limit of 100" in description


# -- item 13: calls still waiting at shutdown ---------------------------------------------


def test_calls_waiting_for_a_thread_at_shutdown_end_unavailable_and_logged(
    engine: Engine, serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    gated = GatedEngine(engine)
    server, channel = serve(gated, rpc_threads=1)
    stub = pb_grpc.TranslatorStub(channel)
    request = pb.TranslateRequest(text=SENTENCE, request_id="in-flight")
    in_flight = stub.Translate.future(request, timeout=60)
    assert gated.busy.wait(30)  # it holds the only thread, at the gate
    waiting = stub.Translate.future(pb.TranslateRequest(text="وقال كيري."), timeout=60)
    wait_until(lambda: bool(server._calls._waiting), "the second call waits for a thread")
    with caplog.at_level(logging.INFO, logger="tarjama.server.requests"):
        stopped = server.stop(30)
        error = waiting.exception(timeout=20)
        gated.gate.set()
        assert in_flight.result(timeout=60).request_id == "in-flight"
        assert stopped.wait(60)
    assert error is not None and error.code() == grpc.StatusCode.UNAVAILABLE
    assert "shutting down" in error.details()
    lines = [r.getMessage() for r in caplog.records if r.name == "tarjama.server.requests"]
    assert sum("status=UNAVAILABLE" in line for line in lines) == 1
    assert sum("id=in-flight" in line and "status=OK" in line for line in lines) == 1


# -- item 14: tokens no client could send -------------------------------------------------


@pytest.mark.parametrize(
    ("token", "match"),
    [
        ("   ", r"TARJAMA_AUTH_TOKEN: auth_token is whitespace only, which would leave"),
        ("sécret", r"TARJAMA_AUTH_TOKEN: auth_token must be printable ASCII"),
        ("two words", r"TARJAMA_AUTH_TOKEN: auth_token must not contain spaces"),
    ],
)
def test_a_token_no_client_can_send_stops_the_start(token: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(environ={"TARJAMA_AUTH_TOKEN": token})


def test_a_token_file_with_a_non_ascii_token_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("clé-secrète\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"must hold exactly one token.*printable ASCII"):
        load_config(environ={"TARJAMA_AUTH_TOKEN_FILE": str(path)})


def test_a_server_built_with_a_non_ascii_token_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"auth_token must be printable ASCII"):
        TarjamaServer(config(tmp_path, auth_token="sécret"))


# -- item 15: the metrics endpoint --------------------------------------------------------


def test_metrics_without_prometheus_client_is_one_line(tmp_path: Path) -> None:
    hidden = tmp_path / "hide" / "prometheus_client"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hidden.parent), os.environ.get("PYTHONPATH", "")]),
        "TARJAMA_HOME": str(tmp_path / "home"),
    }
    process = subprocess.run(
        [sys.executable, "-c", "import sys; from tarjama.client.cli import main; sys.exit(main())",
         "serve", "--port", "0", "--metrics-port", "0", "--model", str(tmp_path),
         "--log-level", "error"],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 1
    [line] = process.stderr.strip().splitlines()
    assert line.startswith("tarjama: error: Prometheus metrics need prometheus-client")


def test_metrics_stay_on_loopback_when_the_server_listens_everywhere(
    engine: Engine, serve: Any
) -> None:
    assert ServerConfig().metrics_host == "127.0.0.1"
    server, _ = serve(engine, host="localhost", metrics_port=0)
    assert server.metrics_server is not None
    assert server.metrics_server.host == "127.0.0.1"
