"""`tarjama glossary validate` and `tarjama glossary match`, run in-process."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

import tarjama.glossary.bundled as bundled
from tarjama.client.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from tarjama.glossary import load_glossary

GLOSSARIES = Path(__file__).parent / "data" / "glossaries"
NEWS_SMALL = str(GLOSSARIES / "news_small.yaml")
OVERRIDE = str(GLOSSARIES / "override.yaml")
INVALID = str(GLOSSARIES / "invalid.yaml")
SEED = Path(__file__).parents[1] / "seeds" / "000_5cb57f188978d242.txt"
TEXT = "التقى وزير الخارجية الأميركي جون كيري في موسكو بالرئيس بوتين لبحث الحرب على «داعش»."


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["glossary", "match", "--json", *argv]) == EXIT_OK
    return json.loads(capsys.readouterr().out)


def test_validate_prints_one_ok_line_per_valid_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["glossary", "validate", NEWS_SMALL, OVERRIDE]) == EXIT_OK
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"OK {NEWS_SMALL}: 14 terms (glossary 'news-small', version 3)",
        f"OK {OVERRIDE}: 3 terms (glossary 'override')",
    ]
    assert captured.err == ""


def test_validate_counts_a_single_term_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    single = tmp_path / "single.yaml"
    single.write_text("name: single\nterms:\n  - source: بوتين\n    target: Putin\n", "utf-8")
    assert main(["glossary", "validate", str(single)]) == EXIT_OK
    assert capsys.readouterr().out == f"OK {single}: 1 term (glossary 'single')\n"


def test_validate_lists_every_problem_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["glossary", "validate", NEWS_SMALL, INVALID]) == EXIT_FAILURE
    captured = capsys.readouterr()
    assert captured.out.startswith(f"OK {NEWS_SMALL}: 14 terms")
    errors = captured.err.splitlines()
    assert errors[:5] == [
        f"{INVALID}:1: name 'Bad Name' is not valid: use 1-64 lower-case letters, digits, "
        "'-' or '_', starting with a letter",
        f"{INVALID}:5: بوتين: unknown key 'colour': use source, target, kind, note, exact, "
        "article, guard, ambiguous, skip_when, apply_when",
        f"{INVALID}:6: ISIS: source 'ISIS' has no Arabic letter",
        f"{INVALID}:8: بوتينُ: source 'بوتينُ' is already at line 3 with a different target "
        "'Putin' (here 'Vladimir Putin') ('بوتين' is the same after normalisation): "
        "keep one target per source",
        f"{INVALID}:10: موسكو: target is missing or empty: write the English rendering",
    ]
    assert errors[5] == "1 of 2 glossaries are invalid"


def test_validate_reports_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["glossary", "validate", "no-such-glossary.yaml"]) == EXIT_FAILURE
    assert capsys.readouterr().err.startswith(
        "no-such-glossary.yaml: no such file, and no bundled glossary by that name (bundled: "
    )


def test_match_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    hits = run_json(capsys, "--glossary", NEWS_SMALL, TEXT)["hits"]
    assert [(hit["text"], hit["target_term"]) for hit in hits] == [
        ("جون كيري", "John Kerry"),
        ("موسكو", "Moscow"),
        ("بوتين", "Putin"),
        ("داعش", "Islamic State"),
    ]
    for hit in hits:
        assert set(hit) >= {"source_term", "target_term", "text", "start", "end"}
        assert isinstance(hit["start"], int) and isinstance(hit["end"], int)
        assert TEXT[hit["start"] : hit["end"]] == hit["text"]
        assert hit["glossary"] == "news-small"
    assert [hit["start"] for hit in hits] == sorted(hit["start"] for hit in hits)


def test_match_json_reports_proclitics(capsys: pytest.CaptureFixture[str]) -> None:
    text = "وأعلن الكرملين وللكرملين موقف"
    hits = run_json(capsys, "-g", NEWS_SMALL, text)["hits"]
    assert [
        (
            hit["text"],
            hit["source_term"],
            hit["proclitic"],
            text[hit["term_start"] : hit["term_end"]],
        )
        for hit in hits
    ] == [("الكرملين", "الكرملين", "", "الكرملين"), ("وللكرملين", "الكرملين", "ولل", "كرملين")]


def test_match_reads_a_text_file_and_finds_the_seed_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    hits = run_json(capsys, "-g", NEWS_SMALL, str(SEED))["hits"]
    text = SEED.read_text(encoding="utf-8")
    assert all(text[hit["start"] : hit["end"]] == hit["text"] for hit in hits)
    assert {"Vladimir Putin", "John Kerry", "Sergei Lavrov", "Kremlin", "Nusra Front"} <= {
        hit["target_term"] for hit in hits
    }


@pytest.mark.parametrize("argv", [["-"], []], ids=["dash", "no-argument"])
def test_match_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    text = "قصفت الطائرات تدمر\r\nوبوتين في موسكو"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    hits = run_json(capsys, "-g", NEWS_SMALL, *argv)["hits"]
    assert [(hit["text"], hit["start"]) for hit in hits] == [
        ("تدمر", text.index("تدمر")),
        ("وبوتين", text.index("وبوتين")),
        ("موسكو", text.index("موسكو")),
    ]


def test_earlier_glossary_wins(capsys: pytest.CaptureFixture[str]) -> None:
    text = "الكرملين وتدمر وبوتين"
    hits = run_json(capsys, "-g", OVERRIDE, "-g", NEWS_SMALL, text)["hits"]
    assert [(hit["target_term"], hit["glossary"]) for hit in hits] == [
        ("the Kremlin", "override"),
        ("Tadmur", "override"),
        ("Putin", "news-small"),
    ]


def test_match_table_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["glossary", "match", "-g", NEWS_SMALL, TEXT]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["SPAN", "TARGET", "GLOSSARY", "KIND", "ACTION", "ARABIC"]
    assert lines[1].split("  ")[0] == f"{TEXT.index('جون')}-{TEXT.index('جون') + 8}"
    assert "John Kerry" in lines[1] and "enforce" in lines[1] and lines[1].endswith("جون كيري")
    assert lines[-1] == "4 hits: 4 enforce, 0 skip, 0 guard"


def test_match_table_says_when_nothing_is_found(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["glossary", "match", "-g", NEWS_SMALL, "لا أسماء هنا"]) == EXIT_OK
    assert capsys.readouterr().out == "no glossary terms found\n"


def test_match_with_an_invalid_glossary_fails_with_one_line_per_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["glossary", "match", "-g", NEWS_SMALL, "-g", INVALID, TEXT]) == EXIT_FAILURE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 5
    assert all(line.startswith(f"{INVALID}:") for line in captured.err.splitlines())


def test_match_accepts_a_bundled_glossary_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copy(NEWS_SMALL, tmp_path / "mini.yaml")
    monkeypatch.setattr(bundled, "_BUNDLED_DIR", tmp_path)
    by_name = run_json(capsys, "-g", "mini", TEXT)
    by_path = run_json(capsys, "-g", NEWS_SMALL, TEXT)
    assert by_name == by_path
    assert main(["glossary", "validate", "mini"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("OK mini: 14 terms")


def test_news_resolves_to_the_packaged_glossary() -> None:
    path = bundled.bundled_glossary_path("news")
    assert path is not None
    assert path == Path(bundled.__file__).resolve().parent / "news.yaml"
    assert "news" in bundled.bundled_glossary_names()


@pytest.mark.parametrize("name", ["nonexistent", "../news", "News"])
def test_unknown_glossary_names_are_errors(capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert main(["glossary", "match", "-g", name, TEXT]) == EXIT_FAILURE
    assert "no such file, and no bundled glossary by that name" in capsys.readouterr().err


def test_match_without_a_glossary_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["glossary", "match", TEXT])
    assert exited.value.code == EXIT_USAGE
    assert "--glossary" in capsys.readouterr().err


def test_match_rejects_a_text_file_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes("قال بوتين".encode("cp1256"))
    assert main(["glossary", "match", "-g", NEWS_SMALL, str(path)]) == EXIT_FAILURE
    assert "is not valid UTF-8 (byte 0): convert it to UTF-8 first" in capsys.readouterr().err


# -- what translation will enforce or skip ---------------------------------------------------

DECIDED = (
    "تلقى النظام دعماً روسياً. أدى المصلون صلاة المغرب في دمشق. "
    "اخترقت طائرة الأجواء السورية قرب تدمر. قال مسؤول في حماس إن الحركة سترد."
)


def test_match_shows_each_hits_decision_with_its_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    hits = run_json(capsys, "-g", "news", DECIDED)["hits"]
    decided = {hit["text"]: (hit["action"], hit["reason"], hit["model_may_skip"]) for hit in hits}
    assert decided["روسياً"][:2] == (
        "skip",
        "tanween: an adverb or an indefinite adjective, not a name",
    )
    assert decided["المغرب"][:2] == ("skip", "context rule 'صلاة *'")
    assert decided["السورية"][0] == "guard"
    assert decided["تدمر"] == ("enforce", None, True)  # marked: the model's reading counts
    assert decided["دمشق"] == ("enforce", None, False)
    assert main(["glossary", "match", "-g", "news", DECIDED]) == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    start = DECIDED.index("المغرب")
    assert f"{start}-{start + 6} skip: context rule 'صلاة *'" in out
    assert any(line.startswith("enforce?: ") for line in out)


@pytest.mark.parametrize("text", [DECIDED, TEXT, "وتدمر الطائرات مصادر سورية.\nجون\nكيري"])
def test_match_decides_as_translation_does(capsys: pytest.CaptureFixture[str], text: str) -> None:
    from tarjama.glossary import Matcher
    from tarjama.server.translate.pipeline import Pipeline, PipelineOptions
    from tests.test_enforcement import ScriptedTranslator, words

    hits = run_json(capsys, "-g", "news", text)["hits"]
    # A model that writes every rendering, apart: nothing is spliced, and no doubtful term
    # is read as an ordinary word, so only the Arabic evidence decides, as in `match`.
    renderings = [hit["target_term"] for hit in hits if hit["action"] == "enforce"]
    reply = words(" and ".join(renderings) + " .")
    translator = ScriptedTranslator(lambda source, prefix: reply)
    document = Pipeline(model_name="scripted").translate(
        text,
        translator=translator,
        matcher=Matcher([("news", load_glossary(bundled.bundled_glossary_path("news")))]),
        options=PipelineOptions(term_spans_exclude_clitics=False),
    )

    applied = {
        (hit.source_span.start, hit.source_span.end, hit.target_term)
        for pair in document.sentences
        for hit in pair.term_hits
    }
    skipped = {
        (skip.source_span.start, skip.source_span.end, skip.target_term)
        for pair in document.sentences
        for skip in pair.skipped_terms
    }
    by_action = {
        action: {(h["start"], h["end"], h["target_term"]) for h in hits if h["action"] == action}
        for action in ("enforce", "skip", "guard")
    }
    assert by_action["enforce"] == applied
    assert by_action["skip"] == skipped
    assert not by_action["guard"] & (applied | skipped)
