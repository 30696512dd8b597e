"""The Node.js example client (client/examples/node) against the real in-process server.

Needs `node` and the example's packages: run `npm ci` in client/examples/node first.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tarjama.client import Translator
from tarjama.server.serve.config import ServerConfig
from tarjama.server.translate.engine import Engine, EngineOptions
from tests.live_server import live_server, serving
from tests.test_document_names import MET_ASSAD, WELCOMED_ASSAD

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "client" / "examples" / "node"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="needs Node.js (node) on PATH"),
    pytest.mark.skipif(
        not (EXAMPLE / "node_modules" / "@grpc" / "grpc-js").is_dir(),
        reason="needs the example's packages: run `npm ci` in client/examples/node",
    ),
]


@pytest.fixture(scope="module")
def live(random_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(random_model_dir, tmp_path_factory.mktemp("home")) as address:
        yield address


def run_example(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, str(EXAMPLE / "translate.js"), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLE,
    )


def test_node_translates_the_seed_article(live: str, seed_article: str):
    run = run_example("--server", live)

    assert run.returncode == 0, run.stderr
    with Translator(live) as client:
        expected = client.translate(seed_article)
    lines = run.stdout.splitlines()
    assert lines[0] == f"model {expected.model}, {len(expected.sentences)} sentence pairs"
    for number, pair in enumerate(expected.sentences, start=1):
        assert f"[{number}] {pair.source}" in lines
        assert f"  → {pair.target}" in lines
    terms = [line.strip() for line in lines if line.startswith("    term ")]
    assert len(terms) == sum(len(pair.term_hits) for pair in expected.sentences) > 0
    flags = [line.strip() for line in lines if line.startswith("    confidence ")]
    assert flags == [review_line(pair) for pair in expected.sentences]
    assert any(pair.needs_review for pair in expected.sentences)


def review_line(pair) -> str:
    """How the example prints a pair's confidence and needs_review flag."""
    line = f"confidence {pair.confidence:.2f}"
    if pair.needs_review:
        codes = ", ".join(reason.code for reason in pair.review_reasons)
        line += f", needs review: {codes}"
    return line


@pytest.fixture(scope="module")
def trained(test_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on the trained model: it writes names, so a document gets document terms."""
    engine = Engine(test_model_dir, EngineOptions(beam_size=4))
    config = ServerConfig(
        home=tmp_path_factory.mktemp("home"), host="127.0.0.1", port=0, default_glossaries=()
    )
    with serving(engine, config) as address:
        yield address


def test_node_prints_the_document_terms(trained: str, tmp_path: Path):
    # The trained model writes «بشار الأسد» "Bashar al-Assad", and "Bashar al Assad" here.
    article = tmp_path / "assad.txt"
    article.write_text(f"{MET_ASSAD}\n{WELCOMED_ASSAD}", encoding="utf-8")

    run = run_example(str(article), "--server", trained)

    assert run.returncode == 0, run.stderr
    with Translator(trained) as client:
        [term] = client.translate(article.read_text(encoding="utf-8")).document_terms
    variants = ", ".join(f"{v.english} ×{v.count}" for v in term.variants)
    assert run.stdout.splitlines()[-1] == (
        f"document term {term.source_term} → {term.target_term} "
        f"({term.occurrences} places; the model wrote {variants})"
    )
    assert f"    term {term.source_term} → {term.target_term} (document, document)" in run.stdout


def test_node_reports_the_servers_error(live: str):
    run = run_example("--server", live, "--glossary", "sports")

    assert run.returncode == 1
    assert run.stderr.startswith("translate.js: NOT_FOUND: ")
    assert "sports" in run.stderr


def test_node_reports_an_unreachable_server():
    run = run_example("--server", "127.0.0.1:1")

    assert run.returncode == 3
    assert run.stderr.startswith("translate.js: UNAVAILABLE: ")


def test_node_help_prints_usage():
    run = run_example("--help")

    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("usage: node translate.js [FILE|-]")


def test_node_missing_file_is_one_line(tmp_path: Path):
    run = run_example(str(tmp_path / "missing.txt"))

    assert run.returncode == 1
    assert run.stderr == f"translate.js: cannot read {tmp_path / 'missing.txt'}: no such file\n"


def test_node_reads_standard_input(live: str):
    assert NODE is not None
    text = "قال لافروف إن المحادثات مع كيري كانت مفيدة."
    run = subprocess.run(
        [NODE, str(EXAMPLE / "translate.js"), "-", "--server", live],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLE,
    )

    assert run.returncode == 0, run.stderr
    assert f"[1] {text}" in run.stdout.splitlines()
