"""Names from word alignments (tarjama.glossary.names) and `tarjama consistency`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarjama.glossary.matcher import Matcher
from tarjama.glossary.names import canonical_keys, name_spans
from tarjama.server.translate.engine import Engine
from tarjama.server.translate.pipeline import Pipeline, PipelineOptions
from tests.client_fakes import run_cli
from tests.name_corpus import KERRY_VISIT, LAVROV_SERGEI, LAVROV_SERGEY, translation, write_jsonl


def names(sentence, terms=()) -> list[tuple[str, str]]:
    [pair] = translation([sentence], terms=terms).sentences
    return [(name.arabic, name.english) for name in name_spans(pair)]


def test_names_are_capitalised_runs_aligned_to_arabic_words() -> None:
    assert names(LAVROV_SERGEI) == [("سيرغي لافروف", "Sergei Lavrov"), ("الكرملين", "Kremlin")]
    # "The minister" is common words; "Kerry" keeps its attached و in the Arabic span.
    assert names(KERRY_VISIT) == [("وكيري", "Kerry"), ("الكرملين", "Kremlin")]


def test_a_lone_sentence_initial_capital_a_glossary_term_and_latin_are_not_names() -> None:
    initial = ("وأكدت التقديرات ذلك.", "Estimates confirmed that.", {1: [0], 0: [1], 2: [2]})
    assert names(initial) == []
    assert names(LAVROV_SERGEI, terms=[("الكرملين", "Kremlin")]) == [
        ("سيرغي لافروف", "Sergei Lavrov")
    ]
    latin = ("قال SK-102 ذلك.", "SK-102 said that.", {1: [0], 0: [1], 2: [2]})
    assert names(latin) == []


def test_proclitics_fold_only_into_a_bare_form_seen_too() -> None:
    keys = ["كيري", "وكيري", "بالكرملين", "الكرملين", "وليد", "السورية", "سورية"]
    canonical = canonical_keys(keys)
    assert canonical["وكيري"] == "كيري"
    assert canonical["بالكرملين"] == "الكرملين"
    assert canonical["وليد"] == "وليد"  # no «ليد»: the و is the name's own
    assert canonical["السورية"] == "السورية"  # the article is part of the word


@pytest.fixture
def corpus(tmp_path: Path) -> list[str]:
    first = write_jsonl(
        tmp_path / "a.json", [translation([LAVROV_SERGEI, KERRY_VISIT], request_id="a")]
    )
    second = write_jsonl(
        tmp_path / "b.jsonl",
        [
            translation([LAVROV_SERGEY], request_id="b1"),
            translation([LAVROV_SERGEY, LAVROV_SERGEI], request_id="b2"),
        ],
    )
    return [str(first), str(second)]


def test_consistency_reports_each_name_with_its_renderings_counts_and_where(
    corpus: list[str], capsys, monkeypatch
) -> None:
    run = run_cli(["consistency", *corpus, "--json"], capsys, monkeypatch)
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["documents"] == 3
    [lavrov] = report["names"]  # Kremlin and Kerry are rendered one way throughout
    assert (lavrov["arabic"], lavrov["occurrences"], lavrov["documents"]) == ("سيرغي لافروف", 4, 3)
    renderings = {r["english"]: r for r in lavrov["renderings"]}
    assert {english: r["count"] for english, r in renderings.items()} == {
        "Sergei Lavrov": 2,
        "Sergey Lavrov": 2,
    }
    assert renderings["Sergey Lavrov"]["where"] == [
        {"document": f"{corpus[1]}:b1", "sentence": 1},
        {"document": f"{corpus[1]}:b2", "sentence": 1},
    ]
    assert renderings["Sergei Lavrov"]["where"][0] == {"document": corpus[0], "sentence": 1}


def test_consistency_table(corpus: list[str], capsys, monkeypatch) -> None:
    run = run_cli(["consistency", *corpus], capsys, monkeypatch)
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["ARABIC", "RENDERING", "COUNT", "WHERE"]
    assert lines[1].startswith("سيرغي لافروف") and "Sergei Lavrov" in lines[1]
    assert "Sergey Lavrov" in lines[2] and f"{corpus[1]}:b1#1" in lines[2]
    assert lines[-1] == "1 name(s) rendered in more than one way in 3 document(s)"


def test_a_json_output_without_alignment_says_how_to_make_one(tmp_path: Path, capsys, monkeypatch):
    document = translation([LAVROV_SERGEI])
    bare = document.__class__(**{**document.__dict__, "sentences": tuple(
        pair.__class__(**{**pair.__dict__, "alignment": ()}) for pair in document.sentences
    )})  # fmt: skip
    path = write_jsonl(tmp_path / "plain.json", [bare])
    run = run_cli(["consistency", str(path)], capsys, monkeypatch)
    assert run.exit_code == 2
    assert "has no word alignment" in run.stderr and "--alignment" in run.stderr


def test_names_from_the_test_models_own_alignment(test_model_dir: Path) -> None:
    text = "قال وزير الخارجية الروسي سيرغي لافروف إن المحادثات كانت مفيدة."
    document = Pipeline(model_name="test").translate(
        text,
        translator=Engine(test_model_dir),
        matcher=Matcher([]),
        options=PipelineOptions(include_alignment=True),
    )
    [pair] = document.sentences
    assert ("سيرغي لافروف", "Sergei Lavrov") in [(n.arabic, n.english) for n in name_spans(pair)]
