"""The CLI's conveniences: model info from a server, JSON listings, shell completion."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tarjama.client import Translator
from tests.client_fakes import run_cli
from tests.live_server import live_server


@pytest.fixture(scope="module")
def live(random_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(random_model_dir, tmp_path_factory.mktemp("home"), max_sentences=77) as a:
        yield a


def test_model_info_shows_the_model_and_the_limits(live: str, capsys, monkeypatch):
    run = run_cli(["model", "info", "--server", live], capsys, monkeypatch)

    assert run.exit_code == 0, run.stderr
    lines = dict(line.split(None, 1) for line in run.stdout.splitlines() if " " in line)
    assert lines["model"].startswith("random-tiny")
    assert "77 sentences" in run.stdout
    assert "default glossaries  news" in run.stdout


def test_model_info_as_json_is_what_the_library_reads(live: str, capsys, monkeypatch):
    run = run_cli(["model", "info", "--json", "--server", live], capsys, monkeypatch)

    document = json.loads(run.stdout)
    with Translator(live) as client:
        info = client.model_info()
    assert document["name"] == info.name
    assert document["limits"]["max_sentences"] == 77
    assert document["default_glossaries"] == list(info.default_glossaries)


def test_model_list_as_json(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("TARJAMA_HOME", str(tmp_path / "home"))

    run = run_cli(["model", "list", "--json"], capsys, monkeypatch)

    assert (run.exit_code, json.loads(run.stdout)) == (0, [])


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_know_the_commands_and_their_options(shell: str, capsys, monkeypatch):
    run = run_cli(["completion", shell], capsys, monkeypatch)

    assert run.exit_code == 0
    for word in ("translate", "glossary", "--jsonl", "--local", "--glossary"):
        assert word in run.stdout


def test_glossary_list_as_json(live: str, capsys, monkeypatch):
    run = run_cli(["glossary", "list", "--json", "--server", live], capsys, monkeypatch)

    [news] = [record for record in json.loads(run.stdout) if record["name"] == "news"]
    assert news["version"] >= 1 and news["term_count"] > 100
    assert news["load_error"] == ""


def test_serve_help_shows_the_defaults(capsys, monkeypatch):
    with pytest.raises(SystemExit):
        run_cli(["serve", "--help"], capsys, monkeypatch)
    text = " ".join(capsys.readouterr().out.split())

    assert "(default: 50051) [TARJAMA_PORT]" in text
    assert "(default: news) [TARJAMA_DEFAULT_GLOSSARIES]" in text
