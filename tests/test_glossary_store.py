"""The glossary store: versions, validation, atomic writes, edits on disk, matcher cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tarjama.glossary import Glossary, GlossaryError, Term, load_glossary
from tarjama.server.stores import glossary_disk
from tarjama.server.stores.glossaries import (
    GlossaryStore,
    GlossaryVersion,
    ReadOnlyStoreError,
    UnknownGlossaryError,
    VersionConflictError,
)

SYRIA = Glossary(
    name="syria",
    description="Syrian war coverage",
    terms=(
        Term(("جبهة النصرة",), "Nusra Front", "organization"),
        Term(("تدمر",), "Palmyra", "place"),
    ),
)
SYRIA_YAML = """\
# Edited by the Beirut desk.
name: syria
terms:
  - source: جبهة النصرة
    target: Nusra Front   # not "al-Nusra Front"
    kind: organization
"""


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> GlossaryStore:
    opened = GlossaryStore(tmp_path / "glossaries", check_interval_s=0)
    opened.open()
    return opened


def targets(store: GlossaryStore, names: list[str], text: str) -> list[str]:
    matcher, _ = store.matcher(names)
    return [match.target for match in matcher.find(text)]


def edit_on_disk(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    # Coarse file-system clocks could give an edit the mtime of the previous write.
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))


def test_an_empty_folder_is_seeded_with_the_bundled_news_glossary(store: GlossaryStore) -> None:
    [news] = store.list()
    assert (news.name, news.version) == ("news", 1)
    assert "Vladimir Putin" in targets(store, ["news"], "قال الرئيس فلاديمير بوتين")


def test_a_folder_with_glossaries_is_not_seeded(tmp_path: Path) -> None:
    folder = tmp_path / "glossaries"
    folder.mkdir()
    (folder / "syria.yaml").write_text(SYRIA_YAML, encoding="utf-8")
    store = GlossaryStore(folder)
    store.open()
    assert [stored.name for stored in store.list()] == ["syria"]


def test_put_creates_then_bumps_the_version(store: GlossaryStore) -> None:
    first = store.put(SYRIA)
    assert first.version == 1
    second = store.put(SYRIA, expected_version=1)
    assert second.version == 2
    assert load_glossary(store.directory / "syria.yaml").version == 2
    assert store.get("syria").glossary.terms == SYRIA.terms


@pytest.mark.parametrize("expected", [1, 3])
def test_expected_version_must_match(store: GlossaryStore, expected: int) -> None:
    store.put(SYRIA)
    store.put(SYRIA)
    with pytest.raises(
        VersionConflictError, match=rf"'syria' is at version 2, not the expected version {expected}"
    ):
        store.put(SYRIA, expected_version=expected)
    assert store.get("syria").version == 2


def test_expected_version_of_a_missing_glossary_is_a_conflict(store: GlossaryStore) -> None:
    with pytest.raises(VersionConflictError, match=r"'syria' does not exist, not the expected"):
        store.put(SYRIA, expected_version=3)


def test_a_rejected_put_leaves_the_previous_version_serving(store: GlossaryStore) -> None:
    store.put(SYRIA)
    before = (store.directory / "syria.yaml").read_bytes()
    broken = Glossary(name="syria", terms=(Term(("تدمر",), ""), Term(("الرقة",), "Raqqa")))
    with pytest.raises(GlossaryError, match=r"PutGlossary: تدمر: target is missing or empty"):
        store.put(broken)
    assert store.get("syria").version == 1
    assert (store.directory / "syria.yaml").read_bytes() == before
    assert targets(store, ["syria"], "في مدينة تدمر") == ["Palmyra"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    store: GlossaryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put(SYRIA)

    def disk_full(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(glossary_disk.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.put(Glossary(name="syria", terms=(Term(("تدمر",), "Tadmur"),)))
    monkeypatch.undo()
    assert store.get("syria").version == 1
    assert sorted(p.name for p in store.directory.glob("*.yaml")) == ["news.yaml", "syria.yaml"]
    assert not list(store.directory.rglob("*.tmp"))


def test_put_yaml_keeps_comments_and_errors_name_the_line(store: GlossaryStore) -> None:
    stored = store.put_yaml(SYRIA_YAML)
    text = (store.directory / "syria.yaml").read_text(encoding="utf-8")
    assert stored.version == 1
    assert text.startswith("# Edited by the Beirut desk.\nname: syria\nversion: 1\n")
    assert '# not "al-Nusra Front"' in text
    with pytest.raises(GlossaryError, match=r"PutGlossary yaml:6: جبهة النصرة: unknown key"):
        store.put_yaml(SYRIA_YAML.replace("kind:", "knd:"))
    assert store.get("syria").version == 1


def test_delete(store: GlossaryStore) -> None:
    store.put(SYRIA)
    with pytest.raises(VersionConflictError, match="is at version 1, not the expected version 2"):
        store.delete("syria", expected_version=2)
    assert store.delete("syria", expected_version=1) == 1
    assert not (store.directory / "syria.yaml").exists()
    with pytest.raises(
        UnknownGlossaryError, match=r"'syria' does not exist \(the server has: news"
    ):
        store.get("syria")


def test_an_edit_on_disk_bumps_the_version_and_records_it(store: GlossaryStore) -> None:
    path = store.directory / "syria.yaml"
    store.put(SYRIA)
    edit_on_disk(path, path.read_text(encoding="utf-8").replace("Palmyra", "Tadmur"))
    assert store.get("syria").version == 2
    assert targets(store, ["syria"], "في مدينة تدمر") == ["Tadmur"]
    assert load_glossary(path).version == 2  # a restart serves the same version


def test_an_edit_that_raises_the_version_keeps_it(store: GlossaryStore) -> None:
    path = store.directory / "syria.yaml"
    store.put(SYRIA)
    edited = path.read_text(encoding="utf-8").replace("version: 1", "version: 7")
    edit_on_disk(path, edited.replace("Palmyra", "Tadmur"))
    assert store.get("syria").version == 7


def test_touching_a_file_does_not_bump_the_version(store: GlossaryStore) -> None:
    path = store.directory / "syria.yaml"
    store.put(SYRIA)
    edit_on_disk(path, path.read_text(encoding="utf-8"))
    assert store.get("syria").version == 1


def test_a_broken_edit_keeps_the_last_good_version(
    store: GlossaryStore, caplog: pytest.LogCaptureFixture
) -> None:
    path = store.directory / "syria.yaml"
    store.put(SYRIA)
    edit_on_disk(path, "name: syria\nterms:\n  - source: تدمر\n    target: [\n")
    assert store.get("syria").version == 1
    assert targets(store, ["syria"], "تدمر") == ["Palmyra"]
    assert "version 1 keeps serving" in caplog.text


def test_files_added_and_removed_on_disk(store: GlossaryStore) -> None:
    (store.directory / "syria.yaml").write_text(SYRIA_YAML, encoding="utf-8")
    assert [stored.name for stored in store.list()] == ["news", "syria"]
    (store.directory / "syria.yaml").unlink()
    with pytest.raises(UnknownGlossaryError, match="'syria' does not exist"):
        store.matcher(["news", "syria"])


def test_a_file_whose_name_disagrees_is_not_served(store: GlossaryStore) -> None:
    (store.directory / "sham.yaml").write_text(SYRIA_YAML, encoding="utf-8")
    assert [stored.name for stored in store.list()] == ["news"]


def test_disk_is_checked_at_most_once_per_interval(tmp_path: Path) -> None:
    clock = Clock()
    store = GlossaryStore(tmp_path / "g", check_interval_s=1.0, clock=clock)
    store.open()
    (store.directory / "syria.yaml").write_text(SYRIA_YAML, encoding="utf-8")
    clock.now = 0.5
    assert [stored.name for stored in store.list()] == ["news"]
    clock.now = 1.5
    assert [stored.name for stored in store.list()] == ["news", "syria"]


def test_matchers_are_cached_per_versions_and_inline_terms(store: GlossaryStore) -> None:
    store.put(SYRIA)
    first, versions = store.matcher(["syria", "news"])
    assert versions == (GlossaryVersion("syria", 1), GlossaryVersion("news", 1))
    assert store.matcher(["syria", "news"])[0] is first
    inline = (Term(("تدمر",), "Tadmor"),)
    with_inline, _ = store.matcher(["syria", "news"], inline)
    assert with_inline is not first
    assert [m.target for m in with_inline.find("في تدمر")] == ["Tadmor"]
    store.put(SYRIA)
    rebuilt, versions = store.matcher(["syria", "news"])
    assert rebuilt is not first and versions[0] == GlossaryVersion("syria", 2)


def test_a_read_only_folder_refuses_writes_and_keeps_serving(
    store: GlossaryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # chmod does not stop root, who runs CI containers: refuse at the system call instead.
    monkeypatch.setattr(glossary_disk.tempfile, "mkstemp", refuse)
    with pytest.raises(ReadOnlyStoreError, match=r"glossary folder .* is read-only"):
        store.put(SYRIA)
    assert [stored.name for stored in store.list()] == ["news"]


def test_a_name_that_differs_only_in_case_gets_a_suggestion(store: GlossaryStore) -> None:
    with pytest.raises(UnknownGlossaryError, match=r"'News' does not exist; did you mean 'news'\?"):
        store.get("News")
