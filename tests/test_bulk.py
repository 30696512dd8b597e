"""`tarjama batch`: rows in, one result row per document out, resumable, in-process or Ray."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from tarjama.client import Translator
from tarjama.server.bulk.local import BulkTranslator, translate_request
from tarjama.server.bulk.ray_job import TranslateBatches
from tarjama.server.bulk.rows import Sink, done_ids, read_rows
from tarjama.server.serve.config import ServerConfig
from tarjama.server.translate.engine import Engine, EngineOptions
from tarjama.v1 import translator_pb2_grpc as pb_grpc
from tests.client_fakes import run_cli
from tests.live_server import live_server

KERRY = "وصل وزير الخارجية الأمريكي جون كيري إلى موسكو أمس."
LAVROV = "وقال لافروف إن المحادثات مع كيري كانت مفيدة.\nوأكد الكرملين دعم الحل السياسي في سورية."


# Small limits, so that short documents go over them.
LIMITS = {"max_characters": 80, "max_sentences": 2}
OVER_LIMITS = [
    {"id": "characters", "text": f"{KERRY} {KERRY}"},
    {"id": "sentences", "text": "وصل كيري. وقال لافروف. وأكد الكرملين."},
    {"id": "named twice", "text": KERRY, "glossaries": ["news", "news"]},
    {"id": "unknown glossary", "text": KERRY, "glossaries": ["sports"]},
    {"id": "mime type", "text": KERRY, "mime_type": "application/pdf"},
]


class CountingEngine(Engine):
    """Counts the batches it is asked to translate: work done for a row."""

    calls = 0

    def translate_batch(self, *args, **kwargs):
        self.calls += 1
        return super().translate_batch(*args, **kwargs)


def short_engine(model_dir: Path) -> CountingEngine:
    return CountingEngine(model_dir, EngineOptions(max_decoding_length=16, beam_size=1))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture(scope="module")
def bulk(random_model_dir: Path, tmp_path_factory) -> Iterator[BulkTranslator]:
    config = ServerConfig(home=tmp_path_factory.mktemp("home"), beam_size=1)
    engine = Engine(random_model_dir, EngineOptions(max_decoding_length=16, beam_size=1))
    with BulkTranslator(config, engine) as translator:
        yield translator


@pytest.fixture(scope="module")
def limited_engine(random_model_dir: Path) -> CountingEngine:
    return short_engine(random_model_dir)


@pytest.fixture(scope="module")
def limited(limited_engine: CountingEngine, tmp_path_factory) -> Iterator[BulkTranslator]:
    """A translator with the small LIMITS."""
    config = ServerConfig(home=tmp_path_factory.mktemp("limited"), beam_size=1, **LIMITS)
    with BulkTranslator(config, limited_engine) as translator:
        yield translator


@pytest.fixture(scope="module")
def server_refusals(random_model_dir: Path, tmp_path_factory) -> dict[str, str]:
    """What a server with the same LIMITS answers each row of OVER_LIMITS, by id."""
    home = tmp_path_factory.mktemp("served")
    refusals = {}
    with (
        live_server(random_model_dir, home, **LIMITS) as address,
        grpc.insecure_channel(address) as channel,
    ):
        stub = pb_grpc.TranslatorStub(channel)
        for row in OVER_LIMITS:
            with pytest.raises(grpc.RpcError) as refused:
                stub.Translate(translate_request(row))
            refusals[row["id"]] = refused.value.details()
    return refusals


@pytest.mark.parametrize("row", OVER_LIMITS, ids=[row["id"] for row in OVER_LIMITS])
def test_a_row_over_a_limit_fails_with_the_servers_message_before_any_work(
    limited: BulkTranslator,
    limited_engine: CountingEngine,
    server_refusals: dict[str, str],
    row: dict,
):
    before = limited_engine.calls

    [result] = limited.translate_rows([row])

    assert (result["ok"], result["error"]) == (False, server_refusals[row["id"]])
    assert (result["sentences"], result["response"]) == (0, "")
    assert limited_engine.calls == before  # refused before anything was translated


def test_the_job_goes_on_past_rows_over_a_limit(limited: BulkTranslator):
    rows = [*OVER_LIMITS[:2], {"id": "kerry", "text": KERRY}, *OVER_LIMITS[2:]]

    results = list(limited.translate_rows(rows))

    assert [(r["id"], r["ok"]) for r in results] == [
        (row["id"], row["id"] == "kerry") for row in rows
    ]
    assert results[2]["sentences"] == 1 and results[2]["translation"]


def test_the_jobs_own_rows_never_fill_the_queue_against_it(
    limited_engine: CountingEngine, tmp_path: Path
):
    # A queue of 2 sentences, documents of 2: a server would refuse a third caller's
    # document while two wait. The job's own documents in flight must not do that to it,
    # even with two batches of rows translated at once (as a Ray actor does).
    config = ServerConfig(home=tmp_path, beam_size=1, max_queue_sentences=2, max_sentences=2)
    rows = [{"id": f"{n}", "text": KERRY + " " + KERRY} for n in range(12)]
    with (
        BulkTranslator(config, limited_engine, jobs=3) as translator,
        ThreadPoolExecutor(2) as batches,
    ):
        halves = batches.map(
            lambda half: list(translator.translate_rows(half)), [rows[:6], rows[6:]]
        )
        results = [row for half in halves for row in half]

    assert [r["error"] for r in results if not r["ok"]] == []
    assert [r["sentences"] for r in results] == [2] * 12


def test_ray_batches_fail_rows_over_a_limit_as_the_local_path_does(
    random_model_dir: Path, limited: BulkTranslator, tmp_path: Path
):
    pyarrow = pytest.importorskip("pyarrow", reason="needs tarjama[batch]")
    config = ServerConfig(home=tmp_path / "home", beam_size=1, **LIMITS)
    rows = [*OVER_LIMITS, {"id": "kerry", "text": KERRY}]
    actor = TranslateBatches(config, jobs=2, load=lambda _: short_engine(random_model_dir))
    try:
        # As Ray reads them: every row has every column, None where the input had none.
        columns = ("id", "text", "glossaries", "mime_type")
        batch = pyarrow.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
        from_ray = actor(batch).to_pylist()
    finally:
        actor.translator.close()

    local = list(limited.translate_rows(rows))
    assert [(r["id"], r["ok"], r["error"]) for r in from_ray] == [
        (r["id"], r["ok"], r["error"]) for r in local
    ]


def test_rows_get_what_the_server_gives(bulk, random_model_dir, seed_article, tmp_path):
    rows = [
        {"id": "seed", "text": seed_article},
        {"id": "kerry", "text": KERRY, "glossaries": []},
        {"id": "lavrov", "text": LAVROV},
    ]

    results = list(bulk.translate_rows(rows))

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


@pytest.mark.parametrize(
    ("glossaries", "named", "no_defaults"),
    [(None, [], False), ([], [], True), ((), [], True), (["news"], ["news"], False)],
)
def test_a_row_names_its_glossaries_as_a_client_would(glossaries, named, no_defaults):
    request = translate_request({"id": "k", "text": KERRY, "glossaries": glossaries})

    assert list(request.glossaries) == named
    assert request.options.no_default_glossaries is no_defaults


def test_an_html_row_is_translated_as_the_server_translates_a_page(bulk):
    [result] = bulk.translate_rows(
        [{"id": "p", "text": f"<p>{KERRY}</p>", "mime_type": "text/html"}]
    )

    assert result["ok"], result["error"]
    assert result["translation"].startswith("<p>") and result["translation"].endswith("</p>")
    assert result["sentences"] == 1


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
    assert "1 of 1 documents translated" in second.stderr

    third = run_cli(argv, capsys, monkeypatch)

    assert third.exit_code == 0
    assert f"3 documents already in {out}: nothing left to translate" in third.stderr
    assert "translated" not in third.stderr.replace("nothing left to translate", "")
    assert len(out.read_text("utf-8").splitlines()) == 3


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


@pytest.mark.slow
def test_a_ray_pool_larger_than_the_cluster_fails_saying_so(
    test_model_dir: Path, tmp_path: Path, capsys, monkeypatch
):
    """Ray would wait forever for actors a cluster has no room for; the job gives up after
    ACTOR_START_TIMEOUT_S and says what to change."""
    pytest.importorskip("ray", reason="needs tarjama[batch]")
    import pyarrow
    import pyarrow.parquet

    from tarjama.server.bulk import ray_job

    monkeypatch.setattr(ray_job, "ACTOR_START_TIMEOUT_S", 5)
    monkeypatch.setenv("TARJAMA_HOME", str(tmp_path / "home"))
    source = tmp_path / "in.parquet"
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist([{"id": "k", "text": KERRY}]), source)
    ray_dir = Path(tempfile.mkdtemp(prefix="tjr"))
    # Twice as many actors as the local Ray's CPUs hold at ACTOR_CPU_SHARE each.
    too_many = int(2 * (os.cpu_count() or 1) / ray_job.ACTOR_CPU_SHARE) + 1
    argv = ["batch", str(source), "--out", str(tmp_path / "out"), "--ray", "--ray-dir"]
    argv += [str(ray_dir), "--actors", str(too_many), "--model", str(test_model_dir), "--quiet"]
    run = run_cli(argv, capsys, monkeypatch)
    shutil.rmtree(ray_dir, ignore_errors=True)
    assert run.exit_code != 0
    assert f"the {too_many} Ray actor(s) did not all start within 5 s" in run.stderr
    assert "ask for fewer --actors" in run.stderr
