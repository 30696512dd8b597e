"""`tarjama glossary list | show | push | delete` against the real in-process server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tarjama.client import Translator
from tarjama.glossary import bundled_glossary_path, load_glossary, parse_glossary
from tests.client_fakes import run_cli
from tests.live_server import TOKEN, live_server

LOCAL_YAML = """\
# Spellings this newsroom keeps (the comment travels with the file).
name: local-names
description: house style
terms:
  - source: جون كيري
    target: John F. Kerry
    kind: person
  - source: [موسكو, موسكوفا]
    target: Moscow
    kind: place
"""


@pytest.fixture(scope="module")
def live(random_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(random_model_dir, tmp_path_factory.mktemp("home")) as address:
        yield address


@pytest.fixture
def cli(live: str, capsys, monkeypatch):
    monkeypatch.setenv("TARJAMA_TOKEN", TOKEN)

    def run(*argv: str):
        return run_cli([*argv, "--server", live], capsys, monkeypatch)

    return run


@pytest.fixture
def local_file(tmp_path: Path) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(LOCAL_YAML, encoding="utf-8")
    return path


def test_list_shows_each_glossary_with_its_version_and_size(cli):
    path = bundled_glossary_path("news")
    assert path is not None

    run = cli("glossary", "list")

    header, *rows = run.stdout.splitlines()
    assert header.split()[:4] == ["NAME", "VERSION", "TERMS", "UPDATED"]
    news = next(row.split() for row in rows if row.startswith("news "))
    assert news[2] == str(len(load_glossary(path).terms))


def test_show_prints_yaml_that_reads_back_as_the_servers_glossary(cli, live: str):
    run = cli("glossary", "show", "news")

    shown = parse_glossary(run.stdout, "shown")
    with Translator(live) as client:
        assert shown == client.get_glossary("news")


def test_push_show_and_delete(cli, local_file: Path):
    pushed = cli("glossary", "push", str(local_file))
    pushed_again = cli("glossary", "push", str(local_file))
    shown = parse_glossary(cli("glossary", "show", "local-names").stdout, "shown")
    deleted = cli("glossary", "delete", "local-names")

    assert pushed.stdout == "pushed local-names version 1 (2 terms)\n"
    assert pushed_again.stdout == "pushed local-names version 2 (2 terms)\n"
    assert shown.terms == parse_glossary(LOCAL_YAML, "local").terms
    assert deleted.stdout == "deleted local-names (version 2)\n"
    assert "local-names" not in cli("glossary", "list").stdout


def test_push_under_another_name(cli, local_file: Path):
    run = cli("glossary", "push", str(local_file), "--name", "desk-b")

    assert run.stdout == "pushed desk-b version 1 (2 terms)\n"
    assert cli("glossary", "delete", "desk-b").exit_code == 0


def test_push_with_a_stale_expected_version_is_refused(cli, local_file: Path):
    cli("glossary", "push", str(local_file))

    run = cli("glossary", "push", str(local_file), "--expected-version", "7")

    assert run.exit_code == 1
    assert run.stderr.startswith("tarjama: error: ")
    assert "7" in run.stderr
    cli("glossary", "delete", "local-names")
