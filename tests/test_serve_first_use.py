"""The first `tarjama serve` on a machine fetches the default model; offline it says what to do.

This is the README's quick start, end to end, with a loopback server standing in for the
OPUS-MT release host.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tarjama.server.stores.models import KNOWN_MODELS
from tests.builders.opus_archive import TinyRelease, build_tiny_release
from tests.release_server import ReleaseServer, release_server

CONSOLE_SCRIPT = "import sys; from tarjama.client.cli import main; sys.exit(main())"
ARTICLE = "وصل وزير الخارجية الأمريكي جون كيري إلى موسكو أمس.\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tarjama(*args: str, home: Path, base_url: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "TARJAMA_HOME": str(home),
        "TARJAMA_MODEL_BASE_URL": base_url,
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-c", CONSOLE_SCRIPT, *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> TinyRelease:
    return build_tiny_release(tmp_path_factory.mktemp("release"))


@pytest.fixture
def host(release: TinyRelease) -> Iterator[ReleaseServer]:
    with release_server() as server:
        archive = "/models/" + KNOWN_MODELS["opus-mt-ar-en"].archive
        server.files[archive] = release.archive.read_bytes()
        yield server


def test_first_serve_fetches_the_default_model_then_translates(
    host: ReleaseServer, tmp_path: Path
) -> None:
    home, port = tmp_path / "home", free_port()
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    server = tarjama(
        "serve", "--host", "127.0.0.1", "--port", str(port), home=home, base_url=host.base_url
    )
    try:
        client = tarjama(
            "translate", "--wait", "120", "--server", f"127.0.0.1:{port}", "--format", "tsv",
            str(article), home=home, base_url=host.base_url,
        )  # fmt: skip
        stdout, stderr = client.communicate(timeout=180)
        assert client.returncode == 0, stderr
        header, row = stdout.strip("\n").splitlines()
        columns = ["sentence", "source", "target", "confidence", "review", "document_terms"]
        assert header.split("\t") == columns
        number, source, target, *_ = row.split("\t")
        assert (number, source) == ("1", ARTICLE.strip())
        assert target  # random weights: some English-side text, whatever it says
        server.send_signal(signal.SIGTERM)
        _, server_log = server.communicate(timeout=60)
        assert server.returncode == 0, server_log
    finally:
        server.kill()
    assert "fetching opus-mt-ar-en (first use only)" in server_log
    assert (home / "models" / "opus-mt-ar-en" / "manifest.json").is_file()


def test_offline_first_serve_says_how_to_install_a_model(tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/models"
    server = tarjama("serve", "--port", "0", home=tmp_path, base_url=unreachable)
    _, stderr = server.communicate(timeout=60)
    assert server.returncode == 1
    last_line = stderr.strip().splitlines()[-1]
    assert last_line.startswith("tarjama: error: ")
    assert "tarjama model import" in last_line
    assert not (tmp_path / "models" / "opus-mt-ar-en").exists()
