"""`tarjama glossary suggest`: a valid glossary draft of the names a corpus renders."""

from __future__ import annotations

from pathlib import Path

from tarjama.glossary import load_glossary
from tests.client_fakes import run_cli
from tests.name_corpus import KERRY_VISIT, LAVROV_SERGEI, LAVROV_SERGEY, translation, write_jsonl


def corpus(tmp_path: Path) -> str:
    documents = [
        translation([LAVROV_SERGEI, KERRY_VISIT], request_id="a"),
        translation([LAVROV_SERGEY], request_id="b"),
        translation([LAVROV_SERGEY, LAVROV_SERGEI], request_id="c"),
    ]
    return str(write_jsonl(tmp_path / "corpus.jsonl", documents))


def test_the_draft_is_a_valid_glossary_of_the_consistent_frequent_names(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    out = tmp_path / "news-draft.yaml"
    run = run_cli(["glossary", "suggest", corpus(tmp_path), "--out", str(out)], capsys, monkeypatch)
    assert run.exit_code == 0, run.stderr
    draft = load_glossary(out)
    assert draft.name == "news-draft"
    # Kremlin 3 of 3, Kerry 3 of 3 (وكيري folded in); Lavrov split 2/2 is left out.
    assert {term.sources: term.target for term in draft.terms} == {
        ("الكرملين",): "Kremlin",
        ("كيري",): "Kerry",
    }
    kremlin = next(term for term in draft.terms if term.target == "Kremlin")
    assert kremlin.note.startswith("seen 3 times in 2 document(s), 3 as 'Kremlin'; no variants")
    assert "«قال سيرغي لافروف إن الكرملين مستعد.»" in kremlin.note
    assert run_cli(["glossary", "validate", str(out)], capsys, monkeypatch).exit_code == 0


def test_terms_the_given_glossaries_cover_are_left_out(tmp_path: Path, capsys, monkeypatch):
    known = tmp_path / "known.yaml"
    known.write_text(
        "name: known\nterms:\n  - source: الكرملين\n    target: the Kremlin\n    kind: place\n",
        encoding="utf-8",
    )
    argv = ["glossary", "suggest", corpus(tmp_path), "-g", str(known), "--min-agreement", "0.5"]
    run = run_cli(argv, capsys, monkeypatch)
    assert run.exit_code == 0, run.stderr
    out = tmp_path / "stdout.yaml"
    out.write_text(run.stdout, encoding="utf-8")
    draft = load_glossary(out)
    # At 0.5 the Lavrov split is in (its first rendering), the Kremlin is the glossary's.
    targets = {term.target for term in draft.terms}
    assert "Kremlin" not in targets and "Kerry" in targets
    [lavrov] = [term for term in draft.terms if term.sources == ("سيرغي لافروف",)]
    assert "variants: Sergey Lavrov (2)" in lavrov.note


def test_min_count_leaves_out_rare_names(tmp_path: Path, capsys, monkeypatch):
    argv = ["glossary", "suggest", corpus(tmp_path), "--min-count", "4", "--name", "rare"]
    run = run_cli(argv, capsys, monkeypatch)
    assert run.exit_code == 0, run.stderr
    assert "name: rare" in run.stdout and "terms: []" in run.stdout
