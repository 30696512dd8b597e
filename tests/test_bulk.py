"""`tarjama batch`: rows in, one result row per document out, resumable, in-process or Ray."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tarjama.client import Translator
from tarjama.server.bulk.local import BulkTranslator
from tarjama.server.bulk.rows import Sink, done_ids, read_rows
from tarjama.server.serve.config import ServerConfig
from tarjama.server.translate.engine import Engine, EngineOptions
from tests.client_fakes import run_cli
from tests.live_server import live_server

KERRY = "وصل وزير الخارجية الأمريكي جون كيري إلى موسكو أمس."
LAVROV = "وقال لافروف إن المحادثات مع كيري كانت مفيدة.\nوأكد الكرملين دعم الحل السياسي في سورية."


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture(scope="module")
def bulk(random_model_dir: Path, tmp_path_factory) -> Iterator[BulkTranslator]:
    config = ServerConfig(home=tmp_path_factory.mktemp("home"), beam_size=1)
    engine = Engine(random_model_dir, EngineOptions(max_decoding_length=16, beam_size=1))
    with BulkTranslator(config, engine) as translator:
        yield translator


def test_rows_get_what_the_server_gives(bulk, random_model_dir, seed_article, tmp_path):
    rows = [
        {"id": "seed", "text": seed_article},
        {"id": "kerry", "text": KERRY, "glossaries": []},
        {"id": "lavrov", "text": LAVROV},
    ]

    results = list(bulk.translate_rows(rows, jobs=3))

    assert [r["id"] for r in results] == ["seed", "kerry", "lavrov"]
    with live_server(random_model_dir, tmp_path / "home") as address, Translator(address) as c:
        served = [
            c.translate(seed_article),
            c.translate(KERRY, no_default_glossaries=True),
            c.translate(LAVROV),
        ]
    for result, expected in zip(results, served, strict=True):
        response = json.loads(result["response"])
        assert result["ok"] and result["translation"] == expected.translation
        assert [p["target"] for p in response["sentences"]] == [
            p.target for p in expected.sentences
        ]
        assert result["term_hits"] == sum(len(p.term_hits) for p in expected.sentences)


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ({"id": "e", "text": "  "}, 'needs "text"'),
        ({"id": "g", "text": KERRY, "glossaries": ["sports"]}, "sports"),
        ({"id": "m", "text": KERRY, "mime_type": "application/pdf"}, "mime_type"),
        ({"id": "t", "text": KERRY, "glossaries": "news"}, "list of glossary names"),
    ],
)
def test_a_bad_document_is_a_failed_row(bulk, row: dict, error: str):
    [result] = bulk.translate_rows([row])

    assert (result["id"], result["ok"]) == (row["id"], False)
    assert error in result["error"]


@pytest.mark.parametrize("output", ["out.jsonl", "parts"])
def test_output_is_resumable(tmp_path: Path, output: str):
    target = tmp_path / output
    first = Sink(target, rows_per_part=2)
    for identifier in ("a", "b", "c"):
        first.write({"id": identifier, "ok": True, "error": "", "translation": identifier,
                     "sentences": 1, "term_hits": 0, "response": "{}"})  # fmt: skip
    first.close()

    assert done_ids(target) == {"a", "b", "c"}


def test_rows_without_an_id_are_numbered(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": KERRY}, {"id": 7, "text": KERRY}])
    source.write_text(source.read_text("utf-8") + "not json\n", "utf-8")

    rows = list(read_rows([source]))

    assert [row["id"] for row in rows] == [f"{source}:1", "7", f"{source}:3"]
    assert "_error" in rows[2]


def test_cli_batch_writes_then_skips_what_is_done(
    test_model_dir: Path, tmp_path: Path, capsys, monkeypatch
):
    monkeypatch.setenv("TARJAMA_HOME", str(tmp_path / "home"))
    source = write_jsonl(
        tmp_path / "in.jsonl", [{"id": "k", "text": KERRY}, {"id": "x", "text": ""}]
    )
    out = tmp_path / "out.jsonl"
    argv = ["batch", str(source), "--out", str(out), "--model", str(test_model_dir)]

    first = run_cli(argv, capsys, monkeypatch)
    write_jsonl(
        source, [{"id": "k", "text": KERRY}, {"id": "x", "text": ""}, {"id": "l", "text": LAVROV}]
    )
    second = run_cli(argv, capsys, monkeypatch)

    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert first.exit_code == 1  # one row failed; the job went on
    assert [(r["id"], r["ok"]) for r in records] == [("k", True), ("x", False), ("l", True)]
    assert "John Kerry" in records[0]["translation"]
    assert "2 documents already in" in second.stderr
    assert second.exit_code == 0


@pytest.mark.slow
def test_cli_batch_on_a_local_ray(test_model_dir: Path, tmp_path: Path, capsys, monkeypatch):
    pytest.importorskip("ray", reason="needs tarjama[batch]")
    import pyarrow
    import pyarrow.parquet

    monkeypatch.setenv("TARJAMA_HOME", str(tmp_path / "home"))
    source = tmp_path / "in.parquet"
    pyarrow.parquet.write_table(
        pyarrow.Table.from_pylist([{"id": "k", "text": KERRY}, {"id": "l", "text": LAVROV}]),
        source,
    )
    local, ray = tmp_path / "local.jsonl", tmp_path / "ray"
    ray_dir = Path(tempfile.mkdtemp(prefix="tjr"))  # short: Ray keeps Unix sockets in it
    common = ["--model", str(test_model_dir), "--quiet"]

    assert (
        run_cli(["batch", str(source), "--out", str(local), *common], capsys, monkeypatch).exit_code
        == 0
    )
    run = run_cli(
        [
            "batch",
            str(source),
            "--out",
            str(ray),
            "--ray",
            "--ray-dir",
            str(ray_dir),
            *common,
        ],
        capsys,
        monkeypatch,
    )

    shutil.rmtree(ray_dir, ignore_errors=True)
    assert run.exit_code == 0, run.stderr
    from_ray = {row["id"]: row for row in pyarrow.parquet.read_table(ray).to_pylist()}
    in_process = {
        json.loads(line)["id"]: json.loads(line) for line in local.read_text("utf-8").splitlines()
    }
    assert from_ray.keys() == in_process.keys() == {"k", "l"}
    for identifier, row in from_ray.items():
        assert row["ok"] and row["sentences"] == in_process[identifier]["sentences"]
        assert row["term_hits"] == in_process[identifier]["term_hits"]
