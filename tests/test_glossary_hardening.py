"""The glossary store against hostile or unlucky input: limits shared by writes and loads,
versions never reused, broken files, YAML bombs, and writes that must not block reads."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import grpc
import pytest

from tarjama.glossary import (
    Glossary,
    GlossaryError,
    Term,
    dump_glossary,
    load_glossary,
    parse_glossary,
    yaml_io,
)
from tarjama.glossary import model as glossary_model
from tarjama.server.stores.glossaries import (
    GlossaryStore,
    UnknownGlossaryError,
    VersionConflictError,
)
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc as pb_grpc
from tests.client_fakes import run_cli
from tests.live_server import live_server

SYRIA = Glossary(name="syria", terms=(Term(("تدمر",), "Palmyra", "place"),))
TADMUR = Glossary(name="syria", terms=(Term(("تدمر",), "Tadmur", "place"),))
# 379 bytes that expand to 9**9 strings: the shape of the classic "billion laughs".
ALIAS_BOMB = (
    "name: bomb\nterms:\n  - source: &a ['تدمر','تدمر','تدمر','تدمر','تدمر','تدمر']\n"
    + "".join(
        f"    note{level}: &{chr(98 + level)} [{', '.join([f'*{chr(97 + level)}'] * 9)}]\n"
        for level in range(8)
    )
    + "    target: *i\n"
)


@pytest.fixture
def store(tmp_path: Path) -> GlossaryStore:
    opened = GlossaryStore(tmp_path / "glossaries", check_interval_s=0)
    opened.open()
    return opened


def reopened(store: GlossaryStore) -> GlossaryStore:
    """The same folder opened again, as after a restart."""
    again = GlossaryStore(store.directory, check_interval_s=0)
    again.open()
    return again


def targets(store: GlossaryStore, name: str, text: str) -> list[str]:
    matcher, _ = store.matcher([name])
    return [match.target for match in matcher.find(text)]


def edit_on_disk(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    status = path.stat()  # coarse clocks could give the edit the previous write's mtime
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))


def many_terms(count: int) -> Glossary:
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    sources = [
        f"{letters[i % 28]}{letters[i // 28 % 28]}{letters[i // 784 % 28]}" for i in range(count)
    ]
    return Glossary(name="syria", terms=tuple(Term((s,), f"T{i}") for i, s in enumerate(sources)))


# -- 1. one set of limits, checked before anything is written -----------------------------


def test_a_put_whose_file_would_be_over_the_size_limit_is_refused_and_writes_nothing(
    store: GlossaryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put(SYRIA)
    before = (store.directory / "syria.yaml").read_bytes()
    # Each term is valid; only the YAML written for them is too big for the loader.
    monkeypatch.setattr(yaml_io, "MAX_FILE_BYTES", 2_000)
    with pytest.raises(GlossaryError, match=r"PutGlossary: \d+ bytes is over the 2000 byte limit"):
        store.put(many_terms(100))
    assert store.get("syria").version == 1
    assert (store.directory / "syria.yaml").read_bytes() == before
    monkeypatch.undo()
    assert reopened(store).get("syria").version == 1  # and a restart still serves it


def test_the_term_limit_holds_for_puts_and_for_files_in_the_folder(
    store: GlossaryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(glossary_model, "MAX_TERMS", 10)
    monkeypatch.setattr(yaml_io, "MAX_TERMS", 10)
    with pytest.raises(GlossaryError, match=r"PutGlossary: 11 terms is over the limit of 10"):
        store.put(many_terms(11))
    text = dump_glossary(many_terms(11))
    with pytest.raises(GlossaryError, match=r"PutGlossary yaml:5: 11 terms is over the limit"):
        store.put_yaml(text)
    assert not (store.directory / "syria.yaml").exists()
    (store.directory / "syria.yaml").write_text(text, encoding="utf-8")
    assert store.broken() == [("syria", "syria.yaml:5: 11 terms is over the limit of 10: split it")]
    assert store.put(many_terms(10)).version == 1


def test_a_put_is_answered_with_the_version_it_stored(store: GlossaryStore) -> None:
    stored = store.put_yaml("name: syria\nterms:\n  - source: تدمر\n    target: Palmyra\n")
    assert stored.version == store.get("syria").version == 1
    assert load_glossary(store.directory / "syria.yaml").version == 1


# -- 2. versions are never reused -----------------------------------------------------------


def test_a_glossary_created_again_continues_its_versions_and_matches_its_new_terms(
    store: GlossaryStore,
) -> None:
    store.put(SYRIA)
    assert targets(store, "syria", "في تدمر") == ["Palmyra"]  # cached
    store.delete("syria")
    recreated = store.put(TADMUR)
    assert recreated.version == 2
    assert targets(store, "syria", "في تدمر") == ["Tadmur"]
    with pytest.raises(
        VersionConflictError, match=r"'syria' is at version 2, not the expected version 1"
    ):
        store.put(SYRIA, expected_version=1)


def test_versions_continue_after_a_delete_and_a_restart(store: GlossaryStore) -> None:
    store.put(SYRIA)
    store.put(TADMUR)
    store.delete("syria", expected_version=2)
    again = reopened(store)
    with pytest.raises(UnknownGlossaryError, match="'syria' does not exist"):
        again.get("syria")
    assert again.put(SYRIA).version == 3


def test_a_file_removed_and_put_back_on_disk_gets_a_new_version(store: GlossaryStore) -> None:
    path = store.directory / "syria.yaml"
    store.put(SYRIA)
    text = path.read_text(encoding="utf-8")
    path.unlink()
    assert [stored.name for stored in store.list()] == ["news"]
    edit_on_disk(path, text.replace("Palmyra", "Tadmur"))  # still says version: 1
    assert store.get("syria").version == 2
    assert targets(store, "syria", "تدمر") == ["Tadmur"]


# -- 3. a file broken on disk ---------------------------------------------------------------


BROKEN = "name: syria\nterms:\n  - source: تدمر\n    target: [\n"


def test_a_broken_file_is_reported_and_the_last_good_version_serves(store: GlossaryStore) -> None:
    path = store.directory / "syria.yaml"
    store.put(SYRIA)
    edit_on_disk(path, BROKEN)
    stored = store.get("syria")
    assert stored.version == 1
    assert stored.load_error.startswith("syria.yaml:5: YAML syntax error")
    assert [s.load_error for s in store.list() if s.name == "syria"] == [stored.load_error]
    assert targets(store, "syria", "تدمر") == ["Palmyra"]
    edit_on_disk(path, BROKEN.replace("[", "Tadmur"))
    assert (store.get("syria").version, store.get("syria").load_error) == (2, "")


def test_a_restart_serves_the_last_good_version_of_a_broken_file(store: GlossaryStore) -> None:
    path = store.directory / "news.yaml"
    news = store.get("news")
    edit_on_disk(path, path.read_text(encoding="utf-8").replace("terms:", "terms: [", 1))
    again = reopened(store)
    served = again.get("news")
    assert (served.version, served.glossary.terms) == (news.version, news.glossary.terms)
    assert served.load_error.startswith("news.yaml:")
    matcher, _ = again.matcher(["news"])  # what the server checks before it starts
    assert "Vladimir Putin" in [m.target for m in matcher.find("قال الرئيس فلاديمير بوتين")]


def test_a_file_that_never_loaded_says_why_it_is_not_served(store: GlossaryStore) -> None:
    (store.directory / "syria.yaml").write_text(BROKEN, encoding="utf-8")
    assert [name for name, _ in store.broken()] == ["syria"]
    with pytest.raises(
        UnknownGlossaryError,
        match=r"'syria' is not served: its file does not load \(syria\.yaml:5: YAML syntax",
    ):
        store.get("syria")


def test_a_file_changed_while_the_server_was_down_gets_a_new_version(store: GlossaryStore) -> None:
    path = store.directory / "syria.yaml"
    store.put(SYRIA)
    edit_on_disk(path, path.read_text(encoding="utf-8").replace("Palmyra", "Tadmur"))
    assert reopened(store).get("syria").version == 2


def test_the_api_and_the_cli_say_which_glossary_does_not_load_and_a_restart_serves_it(
    random_model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "glossaries"
    with live_server(random_model_dir, tmp_path, glossary_check_ms=0) as address:
        news = folder / "news.yaml"
        edit_on_disk(news, news.read_text(encoding="utf-8").replace("terms:", "terms: [", 1))
        (folder / "syria.yaml").write_text(BROKEN, encoding="utf-8")
        with grpc.insecure_channel(address) as channel:
            stub = pb_grpc.TranslatorStub(channel)
            listed = {g.name: g for g in stub.ListGlossaries(pb.ListGlossariesRequest()).glossaries}
            fetched = stub.GetGlossary(pb.GetGlossaryRequest(name="news"))
            with pytest.raises(grpc.RpcError) as missing:
                stub.GetGlossary(pb.GetGlossaryRequest(name="syria"))
        run = run_cli(["glossary", "list", "--server", address], capsys, monkeypatch)
    assert (listed["news"].version, listed["syria"].version) == (1, 0)
    assert listed["news"].load_error.startswith("news.yaml:")
    assert listed["syria"].load_error.startswith("syria.yaml:5: YAML syntax error")
    assert fetched.load_error == listed["news"].load_error and fetched.term_count > 300
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert "its file does not load (syria.yaml:5:" in (missing.value.details() or "")
    assert "glossary news: the server's file does not load (version 1 serves): news.yaml:" in (
        run.stderr
    )
    assert "glossary syria: the server's file does not load (not served): syria.yaml:5" in (
        run.stderr
    )
    # The default glossary is still broken: the server starts on its last good copy.
    with (
        live_server(random_model_dir, tmp_path, glossary_check_ms=0) as address,
        grpc.insecure_channel(address) as channel,
    ):
        served = pb_grpc.TranslatorStub(channel).GetGlossary(pb.GetGlossaryRequest(name="news"))
    assert (served.version, served.term_count) == (1, fetched.term_count)
    assert served.load_error == fetched.load_error


def test_a_version_that_could_not_be_written_into_the_file_survives_a_restart(
    store: GlossaryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = store.directory / "syria.yaml"
    store.put(SYRIA)
    with monkeypatch.context() as patched:  # the file is someone else's: it stays as edited
        patched.setattr(GlossaryStore, "_write", lambda self, path, text: _refuse())
        edit_on_disk(path, path.read_text(encoding="utf-8").replace("Palmyra", "Tadmur"))
        assert store.get("syria").version == 2
    assert load_glossary(path).version == 1
    assert reopened(store).get("syria").version == 2


def _refuse() -> None:
    raise PermissionError(13, "Permission denied")


# -- 4. YAML bombs and messages bounded in size --------------------------------------------


def test_an_alias_bomb_is_refused_before_it_expands(store: GlossaryStore) -> None:
    assert len(ALIAS_BOMB.encode()) < 600
    with pytest.raises(GlossaryError, match=r"yaml:3: anchors and aliases .* are not allowed"):
        store.put_yaml(ALIAS_BOMB)
    (store.directory / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    [(name, reason)] = store.broken()
    assert name == "bomb" and "anchors and aliases" in reason and len(reason) < 200


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nterms: " + "[" * 50 + "]" * 50 + "\n", r"g:2: nested more than 8 levels"),
        ("name: x\nterms: []\n---\nname: y\n", r"g:3: a file holds one glossary"),
        ("name: x\nversion: " + "9" * 5000 + "\nterms: []\n", r"g:2: a value cannot be read"),
        ("name: x\nversion: " + "9" * 30 + "\nterms: []\n", r"g:2: version must be a positive"),
        ("name: x\nterms:\n  - source: تدمر\n    target: [" + "'ab', " * 20_000 + "]\n", "target"),
        ("name: x\nterms:\n  - source: تدمر\n    target: T\n    kind: " + "k" * 50_000, "kind"),
        ("name: x\nterms: []\n? " + "y" * 50_000 + "\n: 1\n", r"unknown key"),
    ],
    ids=["deep", "two-documents", "huge-number", "huge-version", "long-value", "long-kind", "key"],
)
def test_hostile_yaml_gets_a_short_message(text: str, message: str) -> None:
    with pytest.raises(GlossaryError, match=message) as raised:
        parse_glossary(text, "g")
    assert len(str(raised.value)) < 400


# -- 6. writes do not block reads -------------------------------------------------------


def test_reads_are_served_while_a_write_is_under_way(
    store: GlossaryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put(SYRIA)
    writing, release = threading.Event(), threading.Event()
    fsync = os.fsync

    def slow_disk(descriptor: int) -> None:
        if threading.current_thread() is writer:
            writing.set()
            release.wait()
        fsync(descriptor)

    writer = threading.Thread(target=store.put, args=(TADMUR,))
    monkeypatch.setattr(os, "fsync", slow_disk)
    writer.start()
    try:
        assert writing.wait(30)
        seen: list[list[str]] = []
        reader = threading.Thread(target=lambda: seen.append(targets(store, "syria", "تدمر")))
        reader.start()
        reader.join(30)
        finished_during_the_write = not reader.is_alive()
    finally:
        release.set()
        writer.join()
    assert finished_during_the_write and seen == [["Palmyra"]]
    assert targets(store, "syria", "تدمر") == ["Tadmur"]
