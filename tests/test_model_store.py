"""The model store against a loopback HTTP server serving a tiny OPUS-MT release."""

from __future__ import annotations

import fcntl
import hashlib
import io
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm

from tarjama.client.cli import main
from tarjama.client.cli_model_commands import ProgressPrinter
from tarjama.server.stores.download import DownloadProgress
from tarjama.server.stores.models import (
    KNOWN_MODELS,
    ModelStore,
    ModelStoreError,
)
from tests.builders.opus_archive import (
    RELEASE_FILES,
    TinyRelease,
    archive_without,
    build_tiny_release,
    corrupted_copy,
    tar_gz_release,
    tar_slip_archive,
    truncated_copy,
    zip_slip_archive,
)
from tests.release_server import ReleaseServer, release_server

ARCHIVE_PATH = "/models/" + KNOWN_MODELS["opus-mt-ar-en"].archive
SENTENCE = "وصل وزير الخارجية الأمريكي جون كيري إلى موسكو"


@pytest.fixture
def server() -> Iterator[ReleaseServer]:
    with release_server() as state:
        yield state


# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> TinyRelease:
    return build_tiny_release(tmp_path_factory.mktemp("release"))


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "home")


@pytest.fixture
def populated_store(store: ModelStore, release: TinyRelease) -> ModelStore:
    """A store that already holds opus-mt-ar-en, to show failures leave it untouched."""
    store.import_model(release.archive, name="opus-mt-ar-en")
    return store


def snapshot(store: ModelStore) -> dict[str, str]:
    """Every file under the store's home with its sha256, every folder as 'dir'."""
    state = {}
    for path in sorted(store.home.rglob("*")):
        relative = str(path.relative_to(store.home))
        state[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return state


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def translate_once(model_dir: Path) -> list[str]:
    translator = ctranslate2.Translator(str(model_dir), device="cpu", compute_type="int8")
    source = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
    pieces = source.encode(SENTENCE, out_type=str)
    result = translator.translate_batch([pieces], beam_size=2, max_decoding_length=8)
    return result[0].hypotheses[0]


# -- fetch ---------------------------------------------------------------------------------


def test_fetch_downloads_converts_installs_and_translates(
    store: ModelStore, server: ReleaseServer, release: TinyRelease
) -> None:
    archive = release.archive.read_bytes()
    server.files[ARCHIVE_PATH] = archive
    seen: list[DownloadProgress] = []

    model = store.fetch("opus-mt-ar-en", base_url=server.base_url, progress=seen.append)

    assert model.path == store.models_dir / "opus-mt-ar-en"
    assert model.is_default
    manifest = model.manifest
    assert manifest.source_url == server.base_url + "/" + KNOWN_MODELS["opus-mt-ar-en"].archive
    assert manifest.archive_sha256 == hashlib.sha256(archive).hexdigest()
    assert (manifest.quantization, manifest.converter) == (
        "int8",
        "ctranslate2.converters.OpusMTConverter",
    )
    assert manifest.ctranslate2_version == ctranslate2.__version__
    assert manifest.architecture == "transformer-align 1+1, d_model 16, 2 heads"
    assert set(manifest.files) == {
        "model.bin",
        "config.json",
        "shared_vocabulary.json",
        "source.spm",
        "target.spm",
    }
    assert seen[-1] == DownloadProgress(len(archive), len(archive), 0)
    assert list(store.downloads_dir.iterdir()) == []
    tokens = translate_once(model.path)
    assert tokens and all(isinstance(token, str) and token for token in tokens)


def test_fetch_resumes_after_the_connection_drops(
    store: ModelStore, server: ReleaseServer, release: TinyRelease
) -> None:
    archive = release.archive.read_bytes()
    half = len(archive) // 2
    server.files[ARCHIVE_PATH] = archive
    server.drop_after = half

    with pytest.raises(ModelStoreError, match=rf"broke off after {half} of {len(archive)} bytes"):
        store.fetch(base_url=server.base_url)
    assert not store.models_dir.exists()
    [partial] = store.downloads_dir.glob("*.part")
    assert partial.stat().st_size == half

    seen: list[DownloadProgress] = []
    model = store.fetch(base_url=server.base_url, progress=seen.append)

    assert server.ranges == [None, f"bytes={half}-"]
    assert seen[0].resumed_from == half
    assert model.manifest.archive_sha256 == hashlib.sha256(archive).hexdigest()
    assert list(store.downloads_dir.iterdir()) == []


def test_fetch_starts_over_when_the_server_ignores_the_range(
    store: ModelStore, server: ReleaseServer, release: TinyRelease
) -> None:
    archive = release.archive.read_bytes()
    server.files[ARCHIVE_PATH] = archive
    server.drop_after = len(archive) // 3
    with pytest.raises(ModelStoreError, match="run the same command again to resume"):
        store.fetch(base_url=server.base_url)

    server.ignore_range = True
    model = store.fetch(base_url=server.base_url)

    assert model.manifest.archive_sha256 == hashlib.sha256(archive).hexdigest()


def test_fetch_starts_over_when_the_file_changed_on_the_server(
    store: ModelStore, server: ReleaseServer, release: TinyRelease, tmp_path: Path
) -> None:
    server.files[ARCHIVE_PATH] = release.archive.read_bytes()
    server.drop_after = 1000
    with pytest.raises(ModelStoreError, match="broke off after 1000 of"):
        store.fetch(base_url=server.base_url)
    newer = build_tiny_release(tmp_path / "newer", seed=3).archive
    server.files[ARCHIVE_PATH] = newer.read_bytes()

    model = store.fetch(base_url=server.base_url)

    # If-Range carried the old ETag, so the server sent the new file whole.
    assert server.ranges == [None, "bytes=1000-"]
    assert model.manifest.archive_sha256 == sha256_of(newer)


def test_fetch_installs_a_download_that_completed_before_an_interruption(
    store: ModelStore, server: ReleaseServer, release: TinyRelease
) -> None:
    archive = release.archive.read_bytes()
    server.files[ARCHIVE_PATH] = archive
    store.downloads_dir.mkdir(parents=True)
    partial = store.downloads_dir / "opus-mt-ar-en--opus-2019-12-18.zip.part"
    partial.write_bytes(archive)

    model = store.fetch(base_url=server.base_url)

    assert server.ranges == [f"bytes={len(archive)}-"]  # answered 416: nothing left to send
    assert model.manifest.archive_sha256 == hashlib.sha256(archive).hexdigest()


def test_fetch_with_the_pinned_checksum_installs(
    store: ModelStore, server: ReleaseServer, release: TinyRelease
) -> None:
    server.files[ARCHIVE_PATH] = release.archive.read_bytes()
    digest = sha256_of(release.archive)

    model = store.fetch(base_url=server.base_url, sha256=digest.upper())

    assert model.manifest.archive_sha256 == digest


FetchFailure = Callable[[ReleaseServer, TinyRelease, Path], str]


def _wrong_checksum(server: ReleaseServer, release: TinyRelease, tmp: Path) -> str:
    server.files[ARCHIVE_PATH] = release.archive.read_bytes()
    return "0" * 64


def _truncated(server: ReleaseServer, release: TinyRelease, tmp: Path) -> None:
    server.files[ARCHIVE_PATH] = truncated_copy(release.archive, tmp / "cut.zip").read_bytes()


def _corrupt(server: ReleaseServer, release: TinyRelease, tmp: Path) -> None:
    server.files[ARCHIVE_PATH] = corrupted_copy(release.archive, tmp / "bad.zip").read_bytes()


def _not_found(server: ReleaseServer, release: TinyRelease, tmp: Path) -> None:
    server.files.clear()


def _unreachable(server: ReleaseServer, release: TinyRelease, tmp: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server.base_url = f"http://127.0.0.1:{port}/models"


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (_wrong_checksum, r"checksum mismatch .*: expected sha256 0{64}, got [0-9a-f]{64}"),
        (_truncated, r"opus-2019-12-18\.zip\.part is damaged or not a zip/tar\.gz"),
        (_corrupt, r"damaged or not a zip/tar\.gz archive \(a truncated or corrupted download"),
        (_not_found, r"HTTP 404.*download the archive elsewhere and run `tarjama model import"),
        (_unreachable, r"could not connect .*--base-url or set TARJAMA_MODEL_BASE_URL"),
    ],
    ids=["wrong-checksum", "truncated-archive", "corrupt-archive", "not-found", "unreachable"],
)
def test_a_failed_fetch_leaves_the_store_as_it_was(
    populated_store: ModelStore,
    server: ReleaseServer,
    release: TinyRelease,
    tmp_path: Path,
    prepare: FetchFailure,
    message: str,
) -> None:
    checksum = prepare(server, release, tmp_path)
    before = snapshot(populated_store)

    with pytest.raises(ModelStoreError, match=message):
        populated_store.fetch(base_url=server.base_url, sha256=checksum, force=True)

    assert snapshot(populated_store) == before


def test_fetch_refuses_to_replace_an_installed_model_without_force(
    populated_store: ModelStore, server: ReleaseServer
) -> None:
    before = snapshot(populated_store)
    with pytest.raises(ModelStoreError, match=r"'opus-mt-ar-en' is already installed.*--force"):
        populated_store.fetch(base_url=server.base_url)
    assert server.ranges == []  # refused before downloading anything
    assert snapshot(populated_store) == before


def test_fetch_replaces_an_installed_model_with_force(
    populated_store: ModelStore, server: ReleaseServer, tmp_path: Path
) -> None:
    other = build_tiny_release(tmp_path / "other", seed=7)
    server.files[ARCHIVE_PATH] = other.archive.read_bytes()

    model = populated_store.fetch(base_url=server.base_url, force=True)

    assert model.manifest.archive_sha256 == sha256_of(other.archive)
    assert [m.name for m in populated_store.list_models()] == ["opus-mt-ar-en"]
    assert list(populated_store.staging_dir.iterdir()) == []


def test_fetch_uses_the_base_url_from_the_environment(
    server: ReleaseServer, release: TinyRelease, tmp_path: Path
) -> None:
    server.files[ARCHIVE_PATH] = release.archive.read_bytes()
    environment = {
        "TARJAMA_HOME": str(tmp_path / "env-home"),
        "TARJAMA_MODEL_BASE_URL": server.base_url,
    }
    store = ModelStore.from_environment(environment)

    model = store.fetch()

    assert store.home == tmp_path / "env-home"
    assert model.manifest.source_url.startswith(server.base_url)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("opus-mt-xx-yy", r"unknown model 'opus-mt-xx-yy'.*opus-mt-tc-big-ar-en"),
        ("opus-mt-ar-en", r"'not-hex' is not a sha256 checksum"),
    ],
)
def test_fetch_rejects_bad_requests_before_downloading(
    store: ModelStore, server: ReleaseServer, name: str, message: str
) -> None:
    with pytest.raises(ModelStoreError, match=message):
        store.fetch(name, base_url=server.base_url, sha256="not-hex")
    assert server.ranges == []


def test_fetch_refuses_while_another_install_holds_the_lock(
    store: ModelStore, server: ReleaseServer
) -> None:
    store.home.mkdir(parents=True)
    with (store.home / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(ModelStoreError, match="another `tarjama model` command"):
            store.fetch(base_url=server.base_url)
    assert server.ranges == []


# -- import --------------------------------------------------------------------------------


def _zip(release: TinyRelease, tmp: Path) -> Path:
    return release.archive


def _nested_tar_gz(release: TinyRelease, tmp: Path) -> Path:
    return tar_gz_release(release.directory, tmp / "opus-tiny.tar.gz", top_folder="opus-tiny")


def _directory(release: TinyRelease, tmp: Path) -> Path:
    return release.directory


def _ctranslate2_directory(release: TinyRelease, tmp: Path) -> Path:
    return ModelStore(tmp / "elsewhere").import_model(release.archive).path


@pytest.mark.parametrize(
    ("source", "architecture"),
    [
        (_zip, "transformer-align 1+1, d_model 16, 2 heads"),
        (_nested_tar_gz, "transformer-align 1+1, d_model 16, 2 heads"),
        (_directory, "transformer-align 1+1, d_model 16, 2 heads"),
        (_ctranslate2_directory, "transformer-align 1+1, d_model 16, 2 heads"),
    ],
    ids=["zip", "nested-tar-gz", "opus-mt-directory", "ctranslate2-directory"],
)
def test_import_installs_a_model_that_loads_and_translates(
    store: ModelStore,
    release: TinyRelease,
    tmp_path: Path,
    source: Callable[[TinyRelease, Path], Path],
    architecture: str,
) -> None:
    model = store.import_model(source(release, tmp_path), name="ar-en-tiny")

    assert model.manifest.source_url == ""
    assert model.manifest.architecture == architecture
    assert store.verify("ar-en-tiny").ok
    assert translate_once(model.path)


@pytest.mark.parametrize(
    ("path_name", "expected"),
    [("opus-2019-12-18.zip", "opus-mt-ar-en"), ("my-release.tar.gz", "my-release")],
)
def test_import_names_the_model_after_a_known_release_or_the_file(
    store: ModelStore, release: TinyRelease, tmp_path: Path, path_name: str, expected: str
) -> None:
    if path_name.endswith(".zip"):
        path = tmp_path / path_name
        path.write_bytes(release.archive.read_bytes())
    else:
        path = tar_gz_release(release.directory, tmp_path / path_name)

    assert store.import_model(path).name == expected


def _missing(name: str) -> Callable[[TinyRelease, Path], Path]:
    return lambda release, tmp: archive_without(release.directory, name, tmp / "partial.zip")


@pytest.mark.parametrize(
    ("make_archive", "message"),
    [
        (_missing("decoder.yml"), r"holds neither an OPUS-MT/Marian model .*nor a CTranslate2"),
        *[
            (_missing(name), rf"incomplete: missing {re.escape(name)}")
            for name in RELEASE_FILES[1:]
        ],
        (
            lambda release, tmp: zip_slip_archive(
                release.directory, tmp / "slip.zip", "../../evil.txt"
            ),
            r"member '\.\./\.\./evil\.txt' would be written outside",
        ),
        (
            lambda release, tmp: zip_slip_archive(
                release.directory, tmp / "abs.zip", "/tmp/evil.txt"
            ),
            r"member '/tmp/evil\.txt' would be written outside",
        ),
        (
            lambda release, tmp: tar_slip_archive(
                release.directory, tmp / "slip.tar.gz", "../evil.txt"
            ),
            r"member '\.\./evil\.txt' would be written outside",
        ),
        (
            lambda release, tmp: truncated_copy(release.archive, tmp / "cut.zip", 0.9),
            r"cut\.zip is damaged or not a zip/tar\.gz archive",
        ),
        (
            lambda release, tmp: tmp / "missing.zip",
            r"missing\.zip does not exist",
        ),
    ],
    ids=[
        *(f"missing-{name}" for name in RELEASE_FILES),
        "zip-slip-dotdot",
        "zip-slip-absolute",
        "tar-slip-dotdot",
        "truncated",
        "no-such-file",
    ],
)
def test_a_failed_import_leaves_the_store_as_it_was(
    populated_store: ModelStore,
    release: TinyRelease,
    tmp_path: Path,
    make_archive: Callable[[TinyRelease, Path], Path],
    message: str,
) -> None:
    archive = make_archive(release, tmp_path)
    before = snapshot(populated_store)

    with pytest.raises(ModelStoreError, match=message):
        populated_store.import_model(archive, name="opus-mt-ar-en", force=True)

    assert snapshot(populated_store) == before
    assert not (tmp_path.parent / "evil.txt").exists()
    assert not Path("/tmp/evil.txt").exists()


@pytest.mark.parametrize("name", ["../escape", "نموذج", ".hidden", "a/b"])
def test_import_rejects_unusable_names(store: ModelStore, release: TinyRelease, name: str) -> None:
    with pytest.raises(ModelStoreError, match=rf"{re.escape(repr(name))} is not a usable model"):
        store.import_model(release.archive, name=name)
    assert not store.home.exists()


# -- list, default, verify -----------------------------------------------------------------


def test_list_shows_every_model_and_the_first_installed_is_the_default(
    store: ModelStore, release: TinyRelease
) -> None:
    assert store.list_models() == []
    store.import_model(release.archive, name="zz-first")
    store.import_model(release.directory, name="aa-second")

    models = store.list_models()

    assert [(m.name, m.is_default) for m in models] == [("aa-second", False), ("zz-first", True)]
    assert all(m.size_bytes == sum(f.stat().st_size for f in m.path.iterdir()) for m in models)
    assert models[1].manifest.archive_sha256 == sha256_of(release.archive)
    assert models[0].manifest.archive_sha256 == ""  # a directory has no archive
    assert store.model_path() == store.models_dir / "zz-first"


def test_set_default_changes_the_model_used_when_none_is_named(
    populated_store: ModelStore, release: TinyRelease
) -> None:
    populated_store.import_model(release.archive, name="second")

    populated_store.set_default("second")

    assert populated_store.model_path() == populated_store.models_dir / "second"
    assert [m.name for m in populated_store.list_models() if m.is_default] == ["second"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            None,
            r"no model installed in .*: run `tarjama model fetch`, or `tarjama model "
            r"import PATH` on an offline machine",
        ),
        (
            "opus-mt-ar-en",
            r"'opus-mt-ar-en' is not installed \(installed: none\); run "
            r"`tarjama model fetch opus-mt-ar-en`",
        ),
    ],
)
def test_model_path_of_an_empty_store_says_how_to_install(
    store: ModelStore, name: str | None, message: str
) -> None:
    with pytest.raises(ModelStoreError, match=message):
        store.model_path(name)


def _modify(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda d: _modify(d / "target.spm"), r"target\.spm was modified: sha256 [0-9a-f]{64}"),
        (lambda d: _modify(d / "model.bin"), r"model\.bin was modified"),
        (lambda d: (d / "config.json").unlink(), r"config\.json is missing"),
    ],
    ids=["modified-spm", "modified-weights", "deleted-config"],
)
def test_verify_detects_damaged_files(
    populated_store: ModelStore, damage: Callable[[Path], None], problem: str
) -> None:
    assert populated_store.verify().ok
    damage(populated_store.model_path("opus-mt-ar-en"))

    result = populated_store.verify("opus-mt-ar-en")

    assert not result.ok
    assert any(re.fullmatch(problem + ".*", p) for p in result.problems), result.problems


def test_verify_reports_an_unreadable_manifest(populated_store: ModelStore) -> None:
    (populated_store.model_path() / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(ModelStoreError, match=r"manifest\.json is missing or unreadable"):
        populated_store.verify()


# -- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cli-home"
    monkeypatch.setenv("TARJAMA_HOME", str(home))
    monkeypatch.delenv("TARJAMA_MODEL_BASE_URL", raising=False)
    return home


def test_cli_fetch_prints_progress_lines_without_a_terminal(
    home: Path,
    server: ReleaseServer,
    release: TinyRelease,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.files[ARCHIVE_PATH] = release.archive.read_bytes()

    code = main(["model", "fetch", "--base-url", server.base_url])

    out, err = capsys.readouterr()
    assert code == 0
    assert out.strip() == f"installed opus-mt-ar-en (default) at {home}/models/opus-mt-ar-en"
    assert "downloading http://127.0.0.1:" in err
    assert re.search(r"^downloaded 100% [\d.]+ of [\d.]+ MiB$", err, re.MULTILINE)
    assert "\r" not in err


def test_cli_import_list_verify_and_default(
    home: Path, release: TinyRelease, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["model", "import", str(release.archive), "--name", "first"]) == 0
    assert main(["model", "import", str(release.directory), "--name", "second"]) == 0
    assert main(["model", "default", "second"]) == 0
    capsys.readouterr()

    assert main(["model", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["NAME", "SIZE", "SOURCE", "CREATED"]
    assert re.match(r"\s+first\s+[\d.]+ MiB\s+local import\s+\d{4}-\d\d-\d\dT", listing[1])
    assert re.match(r"\*\s+second\s", listing[2])

    assert main(["model", "verify"]) == 0
    assert capsys.readouterr().out.startswith("second: OK")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["model", "verify"], r"no model installed in .*: run `tarjama model fetch`"),
        (["model", "default", "missing"], r"'missing' is not installed"),
        (["model", "import", "nowhere.zip"], r"nowhere\.zip does not exist"),
        (["model", "fetch", "opus-mt-xx-yy"], r"unknown model 'opus-mt-xx-yy'"),
        (["model", "import", ".", "--sha256", "0" * 64], r"--sha256 checks an archive"),
        (["model", "import", "نموذج عربي.zip"], r"نموذج عربي\.zip does not exist"),
    ],
)
def test_cli_errors_are_one_line_with_exit_code_1(
    home: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(rf"tarjama: error: [^\n]*{message}[^\n]*\n", err), err


def test_cli_verify_fails_on_a_modified_model(
    home: Path, release: TinyRelease, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["model", "import", str(release.archive), "--name", "tiny"]) == 0
    _modify(home / "models" / "tiny" / "source.spm")
    capsys.readouterr()

    assert main(["model", "verify", "tiny"]) == 1

    err = capsys.readouterr().err
    assert "tiny: source.spm was modified" in err
    assert "`tarjama model fetch tiny --force`" in err


def test_cli_list_of_an_empty_store_says_how_to_install(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["model", "list"]) == 0
    assert "no models installed" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("total", "shown"), [(4 * 1024 * 1024, r"2\.0/4\.0 MiB"), (None, r"2\.0/\? MiB")]
)
def test_progress_bar_on_a_terminal(total: int | None, shown: str) -> None:
    terminal = _Terminal()
    printer = ProgressPrinter(terminal)

    printer(DownloadProgress(2 * 1024 * 1024, total, 1024 * 1024))
    printer.line("converting ...")

    output = terminal.getvalue()
    assert output.startswith("resuming at 1.0 MiB\n")
    assert "downloading" in output and re.search(shown, output)
    assert output.endswith("converting ...\n")  # a step after the bar, on its own line


def test_progress_without_a_terminal_is_plain_lines() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)

    for done in range(0, 11):
        printer(DownloadProgress(done * 1024 * 1024, 10 * 1024 * 1024, 0))

    lines = stream.getvalue().splitlines()
    assert lines[0] == "downloaded   0% 0.0 of 10.0 MiB"
    assert lines[-1] == "downloaded 100% 10.0 of 10.0 MiB"
    assert len(lines) == 11 and "\x1b" not in stream.getvalue()
