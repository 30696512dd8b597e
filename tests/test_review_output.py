"""Sentences that need review, as the CLI shows them: TSV and JSON columns, the HTML marker
and sorted list, and `tarjama translate --review-only`; and the document terms (names given
one rendering across the document) in the same outputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tarjama.client.cli_inputs import Job
from tarjama.client.cli_output import Output, render_tsv, response_dict
from tarjama.client.html_report import render_html
from tarjama.results import (
    DocumentTerm,
    Rendering,
    ReviewReason,
    SentencePair,
    Span,
    TermHit,
    Translation,
)
from tests.client_fakes import FakeServer, run_cli, start_fake_server

SOURCES = ("قال كيري.", "قال لافروف.", "وصل بوتين.")
TARGETS = ("Kerry said.", "Lavrov said Lavrov said.", "Putin <arrived>.")


def translation() -> Translation:
    """Three pairs: the second and third need review, the third least confident."""
    reasons = (
        (),
        (ReviewReason("repetition", "'lavrov said' repeated"),),
        (ReviewReason("low_score", "token probability 0.40"), ReviewReason("arabic_left")),
    )
    pairs, source_at, target_at = [], 0, 0
    for source, target, why, confidence in zip(
        SOURCES, TARGETS, reasons, (0.9, 0.45, 0.2), strict=True
    ):
        pairs.append(
            SentencePair(
                source,
                target,
                Span(source_at, source_at + len(source)),
                Span(target_at, target_at + len(target)),
                confidence=confidence,
                needs_review=bool(why),
                review_reasons=why,
            )
        )
        source_at += len(source) + 1
        target_at += len(target) + 1
    return Translation("r1", " ".join(TARGETS), tuple(pairs), "test-model")


def with_document_term() -> Translation:
    """The second sentence's «لافروف» placed as the document term "Lavrov"."""
    base = translation()
    second = base.sentences[1]
    hit = TermHit(
        "",
        "لافروف",
        "Lavrov",
        Span(second.source_span.start + 4, second.source_span.start + 10),
        Span(second.target_span.start, second.target_span.start + 6),
        "document",
    )
    pairs = (base.sentences[0], replace(second, term_hits=(hit,)), base.sentences[2])
    term = DocumentTerm("لافروف", "Lavrov", 1, (Rendering("Lavrov", 2), Rendering("Lavrof", 1)))
    return replace(base, sentences=pairs, document_terms=(term,))


def test_tsv_names_the_document_terms_of_each_sentence() -> None:
    rows = [
        line.split("\t")
        for line in render_tsv(with_document_term(), None, header=True).splitlines()
    ]
    assert rows[0][5] == "document_terms"
    assert [row[5] for row in rows[1:]] == ["", "لافروف=Lavrov", ""]


def test_json_lists_the_document_terms() -> None:
    document = json.loads(
        Output("json", [Job(path=None, output=None, name="-")]).render(
            Job(path=None, output=None, name="-"), "", with_document_term()
        )
    )
    assert document["document_terms"] == [
        {
            "source_term": "لافروف",
            "target_term": "Lavrov",
            "occurrences": 1,
            "variants": [{"english": "Lavrov", "count": 2}, {"english": "Lavrof", "count": 1}],
        }
    ]
    assert document["sentences"][1]["term_hits"][0]["method"] == "document"


def test_html_lists_the_document_terms_and_marks_their_hits() -> None:
    page = render_html(" ".join(SOURCES), with_document_term(), title="t")
    assert '<section class="names"><h2>Document terms (1)</h2>' in page
    assert "<td>Lavrov (2), Lavrof (1)</td>" in page
    assert '<mark class="term document"' in page
    assert "document term: لافروف → Lavrov (document)" in page
    assert '<section class="names">' not in render_html(" ".join(SOURCES), translation(), title="t")


def test_tsv_has_the_confidence_and_the_reason_codes() -> None:
    rows = [line.split("\t") for line in render_tsv(translation(), None, header=True).splitlines()]
    assert rows[0][3:5] == ["confidence", "review"]
    assert [row[3:5] for row in rows[1:]] == [
        ["0.90", ""],
        ["0.45", "repetition"],
        ["0.20", "low_score,arabic_left"],
    ]


def test_review_only_keeps_the_flagged_pairs_and_their_numbers() -> None:
    job = Job(path=None, output=None, name="-")
    tsv = Output("tsv", [job], review_only=True).render(job, " ".join(SOURCES), translation())
    assert [line.split("\t")[:3] for line in tsv.splitlines()[1:]] == [
        ["2", SOURCES[1], TARGETS[1]],
        ["3", SOURCES[2], TARGETS[2]],
    ]
    text = Output("text", [job], review_only=True).render(job, "", translation())
    assert text.splitlines() == list(TARGETS[1:])
    document = json.loads(Output("json", [job], review_only=True).render(job, "", translation()))
    assert [pair["source"] for pair in document["sentences"]] == list(SOURCES[1:])
    assert document["translation"] == " ".join(TARGETS)  # the spans still point into it


def test_json_carries_confidence_needs_review_and_reasons() -> None:
    pairs = response_dict(translation())["sentences"]
    assert [pair["needs_review"] for pair in pairs] == [False, True, True]
    assert pairs[0]["confidence"] == pytest.approx(0.9)
    assert pairs[2]["review_reasons"] == [
        {"code": "low_score", "detail": "token probability 0.40"},
        {"code": "arabic_left", "detail": ""},
    ]


def test_html_marks_each_flagged_sentence_and_lists_them_least_confident_first() -> None:
    page = render_html(" ".join(SOURCES), translation(), title="t")
    review = page[page.index('<section class="review">') : page.index("</section>")]
    assert review.index('href="#pair-2"') < review.index('href="#pair-1"')
    assert "pair-0" not in review
    assert "low score, arabic left" in review
    assert "Putin &lt;arrived&gt;." in review  # escaped
    assert page.count('<span class="flag"') == 2
    assert page.count('class="pair needs-review"') == 2
    assert 'id="pair-0"' in page


def test_html_without_flagged_sentences_has_no_review_list() -> None:
    clean = translation()
    clean = Translation("r1", clean.translation, clean.sentences[:1], "test-model")
    page = render_html(SOURCES[0], clean, title="t")
    assert '<section class="review">' not in page and '<span class="flag"' not in page


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    server = start_fake_server([])
    yield server
    server.stop()


def test_review_only_on_the_command_line(fake: FakeServer, tmp_path: Path, capsys, monkeypatch):
    # The stand-in server flags nothing: every pair is left out, the document still written.
    source = tmp_path / "a.txt"
    source.write_text("\n".join(SOURCES), encoding="utf-8")
    argv = ["translate", str(source), "-f", "json", "--no-default-glossaries"]
    argv += ["--server", fake.address]
    full = run_cli(argv, capsys, monkeypatch)
    flagged = run_cli([*argv, "--review-only"], capsys, monkeypatch)
    assert full.exit_code == flagged.exit_code == 0, flagged.stderr
    assert len(json.loads(full.stdout)["sentences"]) == 3
    assert json.loads(flagged.stdout)["sentences"] == []
