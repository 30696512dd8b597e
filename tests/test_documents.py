"""Documents over the server's limits: cut into pieces, translated over one stream, joined."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tarjama.client import Translator, documents
from tarjama.client.cli_progress import JobProgress
from tarjama.client.documents import plan_pieces
from tarjama.results import Limits, Translation
from tarjama.server.translate.markup import extract
from tarjama.server.translate.segment import Sentence, segment
from tests.client_fakes import run_cli
from tests.live_server import live_server

SMALL = Limits(
    max_characters=700,
    max_sentences=6,
    max_inline_terms=10,
    max_message_bytes=4 << 20,
    max_beam_size=16,
)


def limits(characters: int, sentences: int) -> Limits:
    return Limits(characters, sentences, 10, 4 << 20, 16)


@pytest.fixture(scope="module")
def address(random_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("home")
    with live_server(random_model_dir, home) as served:  # the default limits
        yield served


def test_a_document_that_fits_is_one_piece(seed_article: str) -> None:
    [piece] = plan_pieces(seed_article, limits(100_000, 2_000))
    assert (piece.start, piece.end) == (0, len(seed_article))


@pytest.mark.parametrize(("characters", "sentences"), [(700, 6), (300, 50), (5_000, 3)])
def test_pieces_keep_every_sentence_within_the_limits(
    seed_article: str, characters: int, sentences: int
) -> None:
    text = "\n".join([seed_article] * 3)
    pieces = plan_pieces(text, limits(characters, sentences))

    assert len(pieces) > 1
    for piece in pieces:
        assert piece.end - piece.start <= characters
        assert len(segment(text[piece.start : piece.end])) <= sentences
    # Together the pieces hold exactly the document's sentences, in order.
    length = min(400, characters)  # a sentence is cut to fit a request, as the server would
    whole = [text[s.start : s.end] for s in segment(text, max_chars=length)]
    parts = [
        text[piece.start + s.start : piece.start + s.end]
        for piece in pieces
        for s in segment(text[piece.start : piece.end], max_chars=length)
    ]
    assert parts == whole


def test_pieces_end_at_paragraphs_when_one_is_near() -> None:
    paragraph = "قال الرئيس إن المحادثات مستمرة. وأضاف أن الوفد سيعود غدا."
    text = "\n".join([paragraph] * 10)
    pieces = plan_pieces(text, limits(10_000, 5))

    # Two sentences a paragraph and room for five: every cut falls at a line break.
    assert all(text[piece.end : piece.end + 1] in ("\n", "") for piece in pieces)
    assert [piece.sentences for piece in pieces] == [4, 4, 4, 4, 4]


def assert_spans_point_into(text: str, result: Translation) -> None:
    for pair in result.sentences:
        assert pair.source_span.of(text) == pair.source
        assert pair.target_span.of(result.translation) == pair.target
        for hit in pair.term_hits:
            assert hit.target_span.of(result.translation) == hit.target_term


def test_a_document_in_pieces_gives_what_one_request_gives(address: str, seed_article: str):
    text = "\n\n".join([seed_article, seed_article.replace("بوتين", "لافروف")])
    with Translator(address) as whole, Translator(address) as pieced:
        pieced._limits = SMALL  # as if the server allowed only this much per request
        progress: list[int] = []
        one = whole.translate(text, skip_cache=True)
        joined = pieced.translate_document(text, on_progress=progress.append)

    assert len(progress) > 1 and sum(progress) == len(one.sentences)
    assert joined.translation == one.translation
    assert [(p.source, p.source_span, p.target, p.target_span) for p in joined.sentences] == [
        (p.source, p.source_span, p.target, p.target_span) for p in one.sentences
    ]
    assert [p.term_hits for p in joined.sentences] == [p.term_hits for p in one.sentences]
    assert joined.stats.sentences == one.stats.sentences
    assert_spans_point_into(text, joined)


@pytest.mark.slow
def test_a_five_megabyte_document(address: str, seed_article: str) -> None:
    copies = 5_000_000 // len(seed_article.encode()) + 1
    text = "\n".join(f"{seed_article}\nالعدد {number}." for number in range(copies))
    assert len(text.encode()) >= 5_000_000
    with Translator(address, timeout=None) as translator:
        result = translator.translate_document(text)

    assert len(result.sentences) == len(segment(text))
    assert result.sentences[-1].source_span.end == len(text.rstrip())
    assert_spans_point_into(text, result)


def test_the_cli_segments_each_document_once_and_counts_a_page_by_its_text(
    address: str, seed_article: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    page = (
        "<html><body><p>" + seed_article.replace("\n", "</p>\n<p>") + "</p>"
        "<script>var a = 1. var b = 2. var c = 3.</script></body></html>"
    )
    (tmp_path / "seed.txt").write_text(seed_article, encoding="utf-8")
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    segmented: list[str] = []
    real_segment = documents.segment

    def counting_segment(text: str, **options: int) -> list[Sentence]:
        segmented.append(text)
        return real_segment(text, **options)

    expected: list[int] = []
    real_expect = JobProgress.expect

    def recording_expect(self: JobProgress, sentences: int) -> None:
        expected.append(sentences)
        real_expect(self, sentences)

    monkeypatch.setattr(documents, "segment", counting_segment)
    monkeypatch.setattr(JobProgress, "expect", recording_expect)
    out = tmp_path / "out"
    run = run_cli(
        ["translate", str(tmp_path / "seed.txt"), str(tmp_path / "page.html"), "--server",
         address, "--format", "json", "-o", str(out)],
        capsys, monkeypatch,
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    assert sorted(segmented) == sorted([seed_article, extract(page).text])  # once each
    results = [json.loads((out / name).read_text("utf-8")) for name in ("seed.json", "page.json")]
    # The progress expects as many sentences as the server translates: the page's text,
    # not its markup and script.
    assert sorted(expected) == sorted(len(result["sentences"]) for result in results)
