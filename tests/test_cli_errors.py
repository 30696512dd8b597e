"""Every error path of the server-facing CLI: one line saying what to do, the right exit.

Exit codes (client/cli.py): 1 the work failed, 2 bad usage, 3 server unreachable.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from tarjama.client.cli import EXIT_FAILURE, EXIT_UNAVAILABLE, EXIT_USAGE
from tarjama.glossary import bundled_glossary_path, load_glossary
from tarjama.v1 import translator_pb2_grpc
from tests.client_fakes import (
    CliRun,
    FakeServer,
    FakeTranslator,
    Script,
    run_cli,
    self_signed_certificate,
    start_fake_server,
)

ROOT = Path(__file__).resolve().parents[1]
# What the `tarjama` console script runs.
CONSOLE_SCRIPT = "import sys; from tarjama.client.cli import main; sys.exit(main())"
KERRY = "وصل وزير الخارجية الأمريكي جون كيري إلى موسكو أمس."
GLOSSARY_YAML = "name: local-names\nterms:\n  - source: جون كيري\n    target: John F. Kerry\n"


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    path = bundled_glossary_path("news")
    assert path is not None
    server = start_fake_server([load_glossary(path)])
    yield server
    server.stop()


@pytest.fixture
def cli(capsys, monkeypatch):
    def run(*argv: str, stdin: bytes | None = None) -> CliRun:
        return run_cli(list(argv), capsys, monkeypatch, stdin=stdin)

    return run


@pytest.fixture
def kerry_file(tmp_path: Path) -> Path:
    path = tmp_path / "kerry.txt"
    path.write_text(KERRY, encoding="utf-8")
    return path


@pytest.fixture
def down_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def assert_one_line(run: CliRun, exit_code: int, *fragments: str) -> None:
    assert run.exit_code == exit_code, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("tarjama: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["translate", "{file}"],
        ["glossary", "list"],
        ["glossary", "show", "news"],
        ["glossary", "delete", "news"],
        ["health"],
    ],
    ids=["translate", "glossary-list", "glossary-show", "glossary-delete", "health"],
)
def test_server_down(cli, kerry_file: Path, down_address: str, command):
    argv = [part.replace("{file}", str(kerry_file)) for part in command]

    run = cli(*argv, "--server", down_address)

    assert_one_line(
        run,
        EXIT_UNAVAILABLE,
        f"cannot reach the tarjama server at {down_address}",
        "tarjama serve",
        "--server",
    )


def test_server_down_is_not_a_traceback_in_a_real_process(kerry_file: Path, down_address: str):
    completed = subprocess.run(
        [sys.executable, "-c", CONSOLE_SCRIPT, "translate", str(kerry_file)],
        env={"TARJAMA_SERVER": down_address, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )

    assert completed.returncode == EXIT_UNAVAILABLE
    assert completed.stderr.splitlines() == [completed.stderr.strip()], "one line, no traceback"
    assert f"cannot reach the tarjama server at {down_address}" in completed.stderr


def test_unknown_glossary(cli, fake: FakeServer, kerry_file: Path):
    run = cli("translate", str(kerry_file), "-g", "sports", "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, "sports", "tarjama glossary list")


@pytest.mark.parametrize("command", [["show", "sports"], ["delete", "sports"]])
def test_unknown_glossary_in_glossary_commands(cli, fake: FakeServer, command):
    run = cli("glossary", *command, "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, "sports", "tarjama glossary list")


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\t\r\n"], ids=["empty", "spaces", "blank"])
def test_empty_file(cli, fake: FakeServer, tmp_path: Path, content: bytes):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)

    run = cli("translate", str(path), "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, f"{path} is empty", "nothing to translate")


def test_empty_stdin(cli, fake: FakeServer):
    run = cli("translate", "--server", fake.address, stdin=b"\n")

    assert_one_line(run, EXIT_FAILURE, "standard input is empty")


def test_no_input_on_a_terminal(cli, fake: FakeServer):
    run = cli("translate", "--server", fake.address)  # stdin=None: a terminal

    assert_one_line(run, EXIT_USAGE, "no input", "tarjama translate < article.txt")


@pytest.mark.parametrize(
    ("term", "fragment"),
    [
        ("جبهة النصرة", "write ARABIC=ENGLISH"),
        ("=Nusra Front", "write ARABIC=ENGLISH"),
        ("جبهة النصرة=", "write ARABIC=ENGLISH"),
        ("Nusra Front=جبهة النصرة", "the Arabic goes first: --term 'جبهة النصرة=Nusra Front'"),
        ("Nusra=Front", "has no Arabic letter"),
        ("جبهة النصرة=Nusra\u202eFront", "control characters"),
    ],
    ids=["no-equals", "no-arabic", "no-english", "reversed", "latin-source", "bidi-control"],
)
def test_bad_term(cli, fake: FakeServer, kerry_file: Path, term: str, fragment: str):
    run = cli("translate", str(kerry_file), "--term", term, "--server", fake.address)

    assert_one_line(run, EXIT_USAGE, "bad", fragment)
    assert fake.script.calls == []  # rejected before any call


def test_duplicate_terms(cli, fake: FakeServer, kerry_file: Path):
    run = cli(
        "translate",
        str(kerry_file),
        "-t",
        "جون كيري=John Kerry",
        "-t",
        "جون كيري=John F. Kerry",
        "--server",
        fake.address,
    )

    assert_one_line(run, EXIT_USAGE, "different target", "keep one target per source")


def test_missing_file(cli, fake: FakeServer, tmp_path: Path):
    missing = tmp_path / "missing.txt"

    run = cli("translate", str(missing), "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, f"cannot read {missing}", "No such file")


def test_file_that_is_not_utf8(cli, fake: FakeServer, tmp_path: Path):
    path = tmp_path / "cp1256.txt"
    path.write_bytes(KERRY.encode("cp1256"))

    run = cli("translate", str(path), "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, f"{path} is not valid UTF-8", "convert it to UTF-8")


def test_folder_without_text_files(cli, fake: FakeServer, tmp_path: Path):
    run = cli("translate", str(tmp_path), "--server", fake.address)

    assert_one_line(run, EXIT_USAGE, f"folder {tmp_path} has no .txt, .html or .htm files")


def test_html_of_several_inputs_needs_an_output_folder(cli, fake: FakeServer, kerry_file: Path):
    run = cli("translate", str(kerry_file), "-", "-f", "html", "--server", fake.address)

    assert_one_line(run, EXIT_USAGE, "--format html writes one page per input", "--output")


def test_output_file_for_several_inputs(cli, fake: FakeServer, kerry_file: Path, tmp_path: Path):
    existing = tmp_path / "out.txt"
    existing.write_text("", encoding="utf-8")

    run = cli("translate", str(kerry_file), "-", "-o", str(existing), "--server", fake.address)

    assert_one_line(run, EXIT_USAGE, f"--output {existing} is a file", "name a folder")


def test_two_inputs_with_the_same_output_name(cli, fake: FakeServer, tmp_path: Path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "article.txt").write_text(KERRY, encoding="utf-8")
    inputs = [str(tmp_path / "a" / "article.txt"), str(tmp_path / "b" / "article.txt")]

    run = cli("translate", *inputs, "-o", str(tmp_path / "out"), "--server", fake.address)

    assert_one_line(run, EXIT_USAGE, "would both be written to", "separate runs")


@pytest.mark.parametrize("beam", ["17", "-1"])
def test_beam_out_of_range(cli, fake: FakeServer, kerry_file: Path, beam: str):
    run = cli("translate", str(kerry_file), "--beam", beam, "--server", fake.address)

    assert_one_line(run, EXIT_USAGE, f"--beam {beam} is out of range")


@pytest.mark.parametrize("token", [None, "wrong"], ids=["no-token", "wrong-token"])
def test_auth_needed_for_glossary_push(cli, fake: FakeServer, tmp_path: Path, token):
    fake.script.token = "s3cret"
    path = tmp_path / "local.yaml"
    path.write_text(GLOSSARY_YAML, encoding="utf-8")
    token_args = ["--token", token] if token else []

    run = cli("glossary", "push", str(path), *token_args, "--server", fake.address)

    advice = "check the token" if token else "pass --token TOKEN or set TARJAMA_TOKEN"
    assert_one_line(run, EXIT_FAILURE, "refused the call", "bearer token", advice)


def test_auth_needed_for_glossary_delete(cli, fake: FakeServer):
    fake.script.token = "s3cret"

    run = cli("glossary", "delete", "news", "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, "refused the call", "--token")


def test_push_with_the_token_from_the_environment(cli, fake, tmp_path: Path, monkeypatch):
    fake.script.token = "s3cret"
    monkeypatch.setenv("TARJAMA_TOKEN", "s3cret")
    path = tmp_path / "local.yaml"
    path.write_text(GLOSSARY_YAML, encoding="utf-8")

    run = cli("glossary", "push", str(path), "--server", fake.address)

    assert (run.exit_code, run.stdout) == (0, "pushed local-names version 1 (1 term)\n")


def test_push_of_an_invalid_glossary_lists_every_problem(cli, fake: FakeServer, tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: Bad Name\nterms:\n  - source: Kerry\n    target: John Kerry\n", encoding="utf-8"
    )

    run = cli("glossary", "push", str(path), "--server", fake.address)

    assert run.exit_code == EXIT_FAILURE
    assert "name 'Bad Name' is not valid" in run.stderr
    assert "has no Arabic letter" in run.stderr
    assert (
        run.stderr.splitlines()[-1]
        == f"tarjama: error: {path} was not pushed: fix the problems above"
    )
    assert fake.script.calls == []


def test_not_serving(cli, fake: FakeServer):
    fake.set_serving(False)

    run = cli("health", "--server", fake.address)

    assert (run.exit_code, run.stdout) == (EXIT_FAILURE, "NOT_SERVING\n")


@pytest.mark.parametrize("command", ["health", "translate"])
def test_wait_runs_out_on_a_server_that_never_serves(cli, fake: FakeServer, kerry_file, command):
    fake.set_serving(False)
    extra = [str(kerry_file)] if command == "translate" else []

    run = cli(command, *extra, "--server", fake.address, "--wait", "1")

    assert run.exit_code == EXIT_UNAVAILABLE
    assert "was not serving after 1 s (last seen: NOT_SERVING)" in run.stderr
    assert "Translate" not in fake.script.calls


def test_wait_runs_out_on_a_server_that_is_down(cli, down_address: str):
    run = cli("health", "--server", down_address, "--wait", "1")

    assert run.exit_code == EXIT_UNAVAILABLE
    assert "last seen: connection refused" in run.stderr


def test_wait_gives_up_soon_when_nothing_listens(cli, down_address: str, monkeypatch):
    # A server that is starting listens at once; nothing there means nothing is starting.
    monkeypatch.setattr("tarjama.client.cli_connect.NOTHING_LISTENING_S", 1.0)

    run = cli("health", "--server", down_address, "--wait", "600")

    assert run.exit_code == EXIT_UNAVAILABLE
    assert re.search(r"was not serving after [12] s \(last seen: connection refused\)", run.stderr)


def test_wait_returns_once_the_server_serves(cli, fake: FakeServer, kerry_file: Path):
    fake.set_serving(False)
    threading.Timer(0.5, fake.set_serving, args=(True,)).start()

    run = cli("translate", str(kerry_file), "--server", fake.address, "--wait", "30")

    assert run.exit_code == 0, run.stderr
    assert run.stdout.strip()


def test_serving(cli, fake: FakeServer):
    run = cli("health", "--server", fake.address)

    assert (run.exit_code, run.stdout) == (0, "SERVING\n")


def test_busy_server(cli, fake: FakeServer, kerry_file: Path):
    fake.script.busy_retry_after_ms = 5

    run = cli("translate", str(kerry_file), "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, "is busy", "try again in 5 ms")
    translations = [call for call in fake.script.calls if call == "Translate"]
    assert translations == ["Translate"] * 4  # waited as asked, three times


def test_deadline(cli, fake: FakeServer, kerry_file: Path):
    fake.script.delay_s = 2.0

    run = cli("translate", str(kerry_file), "--timeout", "0.2", "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, str(kerry_file), "within 0.2 s", "--timeout")


def test_unreadable_ca_file(cli, fake: FakeServer, kerry_file: Path, tmp_path: Path):
    missing = tmp_path / "ca.pem"

    run = cli("translate", str(kerry_file), "--ca", str(missing), "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, f"cannot read {missing}", "--ca")


def test_an_error_that_would_fail_every_input_stops_at_the_first(cli, fake, kerry_file: Path):
    inputs = [str(kerry_file)] * 6

    run = cli("translate", *inputs, "-g", "sports", "--jobs", "1", "--server", fake.address)

    assert_one_line(run, EXIT_FAILURE, "sports")
    # Stopped at the first answer: the next document may have started, no more.
    assert 1 <= fake.script.calls.count("Translate") <= 2


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
@pytest.mark.parametrize(
    ("tls_options", "reason"),
    [([], "the connection was closed"), (["--tls"], "TLS handshake failed")],
    ids=["plaintext-to-tls", "untrusted-certificate"],
)
def test_tls_mismatch(cli, tmp_path: Path, tls_options: list[str], reason: str):
    key, cert = self_signed_certificate(tmp_path)
    fake = start_fake_server([], tls_key_and_cert=(key.read_bytes(), cert.read_bytes()))
    try:
        run = cli("health", *tls_options, "--server", fake.address)
        trusted = cli("health", "--ca", str(cert), "--server", fake.address)
    finally:
        fake.stop()

    assert_one_line(run, EXIT_UNAVAILABLE, reason, "--ca PEM")
    assert (trusted.exit_code, trusted.stdout) == (0, "SERVING\n")


def test_a_text_over_the_message_limit_is_too_large_not_busy(cli, tmp_path: Path):
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", 1024)],
    )
    translator_pb2_grpc.add_TranslatorServicer_to_server(FakeTranslator(Script(), []), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    path = tmp_path / "long.txt"
    path.write_text(KERRY * 40, encoding="utf-8")
    try:
        run = cli("translate", str(path), "--server", f"127.0.0.1:{port}")
    finally:
        server.stop(None)

    assert_one_line(
        run, EXIT_FAILURE, "bytes is over the limit of 1024 bytes", "--max-message-bytes"
    )
    assert "busy" not in run.stderr
