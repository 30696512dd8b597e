"""`tarjama translate` against the stand-in server: inputs, formats, outputs, progress.

The CLI's output is compared with what the client library gets for the same text, so
these tests check the command line's plumbing, not any particular translation.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import json_format

from tarjama.client import Translator
from tarjama.client.cli_progress import JobProgress
from tarjama.glossary import bundled_glossary_path, load_glossary
from tarjama.server.serve.app import create_server
from tarjama.server.serve.config import ServerConfig
from tarjama.server.translate.pipeline import Pipeline
from tarjama.v1 import translator_pb2 as pb
from tests.client_fakes import FakeServer, run_cli, start_fake_server
from tests.live_server import live_server

KERRY = "وصل وزير الخارجية الأمريكي جون كيري إلى موسكو أمس."
LAVROV = "وقال لافروف إن المحادثات مع كيري كانت مفيدة.\nوأكد الكرملين دعم الحل السياسي في سورية."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    path = bundled_glossary_path("news")
    assert path is not None
    server = start_fake_server([load_glossary(path)])
    yield server
    server.stop()


@pytest.fixture
def client(fake: FakeServer) -> Iterator[Translator]:
    with Translator(fake.address) as translator:
        yield translator


@pytest.fixture
def cli(fake: FakeServer, capsys, monkeypatch):
    def run(*argv: str, stdin: bytes | None = None, terminal: bool = False):
        return run_cli(
            [*argv, "--server", fake.address], capsys, monkeypatch, stdin=stdin, terminal=terminal
        )

    return run


@pytest.fixture
def articles(tmp_path: Path, seed_article: str) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "seed.txt").write_text(seed_article, encoding="utf-8")
    (folder / "kerry.txt").write_text(KERRY, encoding="utf-8")
    (folder / "lavrov.txt").write_text(LAVROV, encoding="utf-8")
    (folder / "notes.md").write_text("# not an article", encoding="utf-8")
    return folder


def test_seed_article_as_text(cli, client: Translator, articles: Path, seed_article: str):
    run = cli("translate", str(articles / "seed.txt"))

    assert run.exit_code == 0
    assert run.stdout == client.translate(seed_article).translation + "\n"
    assert run.stderr == ""


def test_stdin_to_stdout(cli, client: Translator):
    run = cli("translate", stdin=KERRY.encode())

    assert run.exit_code == 0
    assert run.stdout == client.translate(KERRY).translation + "\n"


def test_explicit_dash_reads_stdin_and_a_byte_order_mark_is_dropped(cli, client: Translator):
    run = cli("translate", "-", stdin=b"\xef\xbb\xbf" + KERRY.encode())

    assert run.stdout == client.translate(KERRY).translation + "\n"


def test_json_is_the_translate_response_with_proto_field_names(
    cli, client: Translator, articles: Path, seed_article: str
):
    run = cli("translate", str(articles / "seed.txt"), "--format", "json")

    document = json.loads(run.stdout)
    name = str(articles / "seed.txt")
    expected = client._stub.Translate(pb.TranslateRequest(text=seed_article, request_id=name))
    assert json_format.ParseDict(document, pb.TranslateResponse()) == expected
    assert {"request_id", "translation", "sentences", "glossaries", "stats"} <= document.keys()
    assert {"source_span", "target_span", "term_hits"} <= document["sentences"][0].keys()
    assert document["request_id"] == name


def test_several_files_as_json_lines(cli, articles: Path):
    files = [str(articles / name) for name in ("kerry.txt", "lavrov.txt")]

    run = cli("translate", *files, "--format", "json")

    lines = run.stdout.splitlines()
    assert [json.loads(line)["request_id"] for line in lines] == files


def test_tsv_has_one_row_per_sentence_pair(cli, client: Translator):
    run = cli("translate", "--format", "tsv", stdin=LAVROV.encode())

    rows = [line.split("\t") for line in run.stdout.splitlines()]
    pairs = client.translate(LAVROV).sentences
    assert rows[0] == ["sentence", "source", "target", "confidence", "review", "document_terms"]
    assert [row[:3] for row in rows[1:]] == [
        [str(i), p.source, p.target] for i, p in enumerate(pairs, start=1)
    ]


def test_tsv_of_several_files_names_each_file(cli, articles: Path):
    files = [str(articles / name) for name in ("kerry.txt", "lavrov.txt")]

    run = cli("translate", *files, "--format", "tsv")

    rows = [line.split("\t") for line in run.stdout.splitlines()]
    assert rows[0] == [
        "file",
        "sentence",
        "source",
        "target",
        "confidence",
        "review",
        "document_terms",
    ]
    assert [row[0] for row in rows[1:]] == [files[0], files[1], files[1]]


def test_several_text_files_to_stdout_get_headings(cli, articles: Path):
    run = cli("translate", str(articles / "kerry.txt"), str(articles / "lavrov.txt"))

    headings = [line for line in run.stdout.splitlines() if line.startswith("==> ")]
    assert headings == [f"==> {articles / 'kerry.txt'} <==", f"==> {articles / 'lavrov.txt'} <=="]


@pytest.mark.parametrize(
    ("output_format", "suffix"),
    [("text", ".en.txt"), ("json", ".json"), ("tsv", ".tsv"), ("html", ".html")],
)
def test_folder_to_output_folder(cli, articles: Path, tmp_path: Path, output_format, suffix):
    out = tmp_path / "out" / "nested"

    run = cli("translate", str(articles), "--format", output_format, "--output", str(out))

    assert run.exit_code == 0
    assert run.stdout == ""
    names = sorted(path.name for path in out.iterdir())
    assert names == sorted(f"{stem}{suffix}" for stem in ("kerry", "lavrov", "seed"))


def test_single_file_to_output_file(cli, client: Translator, articles: Path, tmp_path: Path):
    out = tmp_path / "kerry-english.txt"

    run = cli("translate", str(articles / "kerry.txt"), "-o", str(out))

    assert run.exit_code == 0
    assert out.read_text(encoding="utf-8") == client.translate(KERRY).translation + "\n"


def test_single_file_into_an_existing_folder(cli, articles: Path, tmp_path: Path):
    run = cli("translate", str(articles / "kerry.txt"), "-o", str(tmp_path))

    assert run.exit_code == 0
    assert (tmp_path / "kerry.en.txt").is_file()


def test_terms_glossaries_and_options_reach_the_server(cli, fake: FakeServer):
    run = cli(
        "translate",
        "--term",
        "جون كيري=John F. Kerry",
        "-t",
        "موسكو = Moskva",
        "--glossary",
        "news",
        "--format",
        "json",
        stdin=KERRY.encode(),
    )

    document = json.loads(run.stdout)
    hits = document["sentences"][0]["term_hits"]
    assert {(hit["glossary"], hit["target_term"]) for hit in hits} == {
        ("", "John F. Kerry"),
        ("", "Moskva"),
    }
    assert [ref["name"] for ref in document["glossaries"]] == ["news"]


def test_no_default_glossaries(cli):
    run = cli("translate", "--no-default-glossaries", "--format", "json", stdin=KERRY.encode())

    assert json.loads(run.stdout)["glossaries"] == []


def test_progress_display_on_a_terminal_then_a_summary(cli, articles: Path):
    run = cli("translate", str(articles), "-o", str(articles / "out"), terminal=True)

    assert "translating" in run.stderr and "documents" in run.stderr  # the live display
    summary = run.stderr.splitlines()[-1]
    assert "tarjama: 3 of 3 documents translated; " in summary
    assert "sentences (0 from the cache)" in summary


def test_plain_summary_when_stderr_is_not_a_terminal(cli, articles: Path):
    run = cli("translate", str(articles), "-o", str(articles / "out"))

    [summary] = run.stderr.splitlines()
    assert summary.startswith("tarjama: 3 of 3 documents translated; ")
    assert "\x1b" not in run.stderr


def test_quiet_says_nothing(cli, articles: Path):
    run = cli("translate", str(articles), "-o", str(articles / "out"), "--quiet", terminal=True)

    assert (run.exit_code, run.stderr) == (0, "")


def test_one_bad_input_does_not_stop_the_others(cli, articles: Path, tmp_path: Path):
    (articles / "empty.txt").write_text("  \n", encoding="utf-8")
    out = tmp_path / "out"

    run = cli("translate", str(articles), "-o", str(out))

    assert run.exit_code == 1
    assert f"{articles / 'empty.txt'} is empty" in run.stderr
    assert "3 of 4 documents translated, 1 failed" in run.stderr
    assert sorted(path.name for path in out.iterdir()) == [
        "kerry.en.txt",
        "lavrov.en.txt",
        "seed.en.txt",
    ]


def test_a_folder_tree_is_mirrored_and_stdout_order_is_the_input_order(
    cli, client: Translator, articles: Path, tmp_path: Path
):
    nested = articles / "2016" / "10"
    nested.mkdir(parents=True)
    (nested / "kerry.txt").write_text(KERRY, encoding="utf-8")
    out = tmp_path / "out"

    mirrored = cli("translate", str(articles), "--out", str(out), "--jobs", "3")
    printed = cli("translate", str(articles), "--jobs", "3", "--quiet")

    assert mirrored.exit_code == 0
    assert (out / "2016" / "10" / "kerry.en.txt").read_text(encoding="utf-8") == (
        client.translate(KERRY).translation + "\n"
    )
    names = [line[4:-4] for line in printed.stdout.splitlines() if line.startswith("==> ")]
    assert names == sorted(str(path) for path in articles.rglob("*.txt"))


def test_json_lines_keep_ids_and_report_errors_per_line(cli, client: Translator, tmp_path: Path):
    lines = [
        json.dumps({"id": "a-1", "text": KERRY}, ensure_ascii=False),
        "not json",
        json.dumps({"id": "a-3", "text": "   "}),
        json.dumps({"id": "a-4", "text": KERRY, "glossaries": ["sports"]}, ensure_ascii=False),
        json.dumps(
            {"id": "a-5", "text": LAVROV, "options": {"include_alignment": True}},
            ensure_ascii=False,
        ),
    ]
    source = tmp_path / "batch.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = cli("translate", "--jsonl", str(source), "--quiet")

    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.exit_code == 1  # some lines failed; the others were translated
    assert [record["id"] for record in records] == ["a-1", f"{source}:2", "a-3", "a-4", "a-5"]
    assert records[0]["translation"] == client.translate(KERRY).translation
    assert records[1]["error"]["code"] == "INVALID_ARGUMENT"
    assert "line 2 is not JSON" in records[1]["error"]["message"]
    assert 'needs "text"' in records[2]["error"]["message"]
    assert records[3]["error"]["code"] == "NOT_FOUND"
    assert records[4]["translation"] == client.translate(LAVROV).translation


# -- against the real server --------------------------------------------------------------


@pytest.fixture(scope="module")
def live(random_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(random_model_dir, tmp_path_factory.mktemp("home")) as address:
        yield address


def test_live_folder_to_side_by_side_pages(
    live: str, articles: Path, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "pages"

    run = run_cli(
        ["translate", str(articles), "-f", "html", "-o", str(out), "--quiet", "--server", live],
        capsys,
        monkeypatch,
    )

    assert (run.exit_code, run.stderr) == (0, "")
    with Translator(live) as client:
        for source in sorted(articles.glob("*.txt")):
            page = (out / f"{source.stem}.html").read_text(encoding="utf-8")
            expected = client.translate(source.read_text(encoding="utf-8"))
            assert page.count('<div class="pair') == len(expected.sentences)
            assert page.count('<p class="ar" lang="ar" dir="rtl">') == len(expected.sentences)
            hits = sum(len(pair.term_hits) for pair in expected.sentences)
            assert page.count('<mark class="term"') <= 2 * hits


def test_live_seed_article_as_json(
    live: str, articles: Path, seed_article: str, capsys, monkeypatch
):
    run = run_cli(
        ["translate", str(articles / "seed.txt"), "-f", "json", "--alignment", "--server", live],
        capsys,
        monkeypatch,
    )

    document = json.loads(run.stdout)
    for pair in document["sentences"]:
        span = pair["source_span"]
        assert seed_article[span["start"] : span["end"]] == pair["source"]
        for hit in pair["term_hits"]:
            target = hit["target_span"]
            assert document["translation"][target["start"] : target["end"]] == hit["target_term"]
    assert any(pair["alignment"] for pair in document["sentences"])


def test_local_translates_in_process_as_the_server_does(
    test_model_dir: Path, articles: Path, tmp_path: Path, capsys, monkeypatch
):
    home = tmp_path / "home"
    monkeypatch.setenv("TARJAMA_HOME", str(home))
    source = articles / "kerry.txt"

    run = run_cli(
        ["translate", "--local", "--model", str(test_model_dir), "-f", "json", str(source)],
        capsys,
        monkeypatch,
    )

    assert run.exit_code == 0, run.stderr
    local = json.loads(run.stdout)
    # `tarjama serve --model` with the same settings: the engine as the server loads it.
    config = ServerConfig(home=home, host="127.0.0.1", port=0, model=str(test_model_dir))
    server, port = create_server(config)
    server.start()
    try:
        with Translator(f"127.0.0.1:{port}") as client:
            served = client.translate(KERRY)
    finally:
        server.stop(None).wait()
    assert local["translation"] == served.translation
    assert [hit["target_term"] for hit in local["sentences"][0]["term_hits"]] == [
        hit.target_term for hit in served.sentences[0].term_hits
    ]


def test_local_without_an_installed_model_says_what_to_do(
    articles: Path, tmp_path: Path, capsys, monkeypatch
):
    monkeypatch.setenv("TARJAMA_HOME", str(tmp_path / "empty-home"))

    run = run_cli(["translate", "--local", str(articles / "kerry.txt")], capsys, monkeypatch)

    assert run.exit_code == 1
    assert run.stderr.startswith("tarjama: error: --local: ")
    assert "tarjama model" in run.stderr


def test_local_errors_name_the_server_in_this_process(
    test_model_dir: Path, articles: Path, tmp_path: Path, capsys, monkeypatch
):
    monkeypatch.setenv("TARJAMA_HOME", str(tmp_path / "home"))

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the pipeline")

    monkeypatch.setattr(Pipeline, "translate", failing)
    run = run_cli(
        ["translate", "--local", "--model", str(test_model_dir), str(articles / "kerry.txt")],
        capsys,
        monkeypatch,
    )

    assert run.exit_code == 1
    assert "(--local, in this process) failed with INTERNAL" in run.stderr
    assert "localhost:50051" not in run.stderr  # --server's default, never contacted


@pytest.mark.parametrize(
    ("sentences", "terms", "expected"),
    [(1, 1, "1 sentence (0 from the cache), 1 glossary term applied"),
     (2, 3, "2 sentences (0 from the cache), 3 glossary terms applied")],
)  # fmt: skip
def test_the_summary_counts_in_the_singular_and_the_plural(
    sentences: int, terms: int, expected: str
) -> None:
    progress = JobProgress(1, quiet=True, stream=io.StringIO())
    progress.row_done(ok=True, sentences=sentences, terms=terms)

    assert expected in progress.summary()
