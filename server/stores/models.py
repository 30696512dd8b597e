"""The model store: fetch and import translation models, on top of the installed ones.

Layout under the store's home (``TARJAMA_HOME``, else the platform's user data folder)::

    models/<name>/     one installed model (see :mod:`.model_registry`, which lists,
                       verifies and chooses the default among them)
    downloads/         partial downloads, kept between runs so a fetch can resume
    staging/           where an install is built before it is renamed into models/
    default            the name of the default model

Every install is built in ``staging/`` and renamed into ``models/`` only once it is
complete, so an interrupted or failed fetch or import never leaves a half-installed
model, and a ``--force`` reinstall swaps the old one out only after the new one is built.
One install at a time per store (a lock file), so two fetches never share a partial file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from tarjama.server.stores.catalog import BASE_URL_ENV, DEFAULT_MODEL, KNOWN_MODELS, KnownModel
from tarjama.server.stores.convert import ConversionError, build_model, find_model_root, unpack
from tarjama.server.stores.download import DownloadError, ProgressCallback, download
from tarjama.server.stores.home import HOME_ENV, default_home
from tarjama.server.stores.manifest import MANIFEST, Manifest, sha256_file
from tarjama.server.stores.model_registry import (
    InstalledModel,
    InstalledModels,
    ModelStoreError,
    VerifyResult,
    check_name,
    read_manifest,
)

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "InstalledModel",
    "ModelStore",
    "ModelStoreError",
    "VerifyResult",
]

QUANTIZATION = "int8"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
_OFFLINE_HINT = (
    "on a machine without internet access, download the archive elsewhere and run "
    "`tarjama model import PATH`; to use a mirror, pass --base-url or set " + BASE_URL_ENV
)


StepCallback = Callable[[str], None]


def _check_sha256(value: str | None) -> str | None:
    if value is None:
        return None
    normal = value.strip().lower()
    if not _SHA256.match(normal):
        raise ModelStoreError(f"{value!r} is not a sha256 checksum (64 hexadecimal digits)")
    return normal


def _archive_stem(path: Path) -> str:
    lowered = path.name.lower()
    suffix = next((s for s in _ARCHIVE_SUFFIXES if lowered.endswith(s)), "")
    return path.name[: len(path.name) - len(suffix)] if suffix else path.stem


class ModelStore(InstalledModels):
    """Installed models under one home folder, and installing more."""

    def __init__(self, home: Path, base_url: str | None = None) -> None:
        super().__init__(home)
        self.base_url = base_url or None
        self.downloads_dir = self.home / "downloads"
        self.staging_dir = self.home / "staging"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ModelStore:
        """``TARJAMA_HOME`` (else the user data folder) and ``TARJAMA_MODEL_BASE_URL``."""
        home = environ.get(HOME_ENV)
        return cls(Path(home) if home else default_home(), environ.get(BASE_URL_ENV) or None)

    def fetch(
        self,
        name: str = DEFAULT_MODEL,
        base_url: str | None = None,
        sha256: str | None = None,
        force: bool = False,
        progress: ProgressCallback | None = None,
        on_step: StepCallback | None = None,
    ) -> InstalledModel:
        """Downloads a known release (resuming a partial download), converts and installs it."""
        known = KNOWN_MODELS.get(name)
        if known is None:
            raise ModelStoreError(
                f"unknown model {name!r}; `tarjama model fetch` knows "
                f"{', '.join(sorted(KNOWN_MODELS))}. For another OPUS-MT release, download "
                "its archive and run `tarjama model import PATH --name NAME`"
            )
        expected = _check_sha256(sha256) or known.sha256
        url = known.url(base_url or self.base_url)
        self._refuse_overwrite(name, force)
        with self._lock():
            partial = self.downloads_dir / f"{name}--{Path(known.archive).name}.part"
            if on_step:
                on_step(f"downloading {url}")
            try:
                result = download(url, partial, progress)
            except DownloadError as error:
                again = "run the same command again to resume; " if error.resumable else ""
                raise ModelStoreError(
                    f"download of {url} failed: {error}; {again}{_OFFLINE_HINT}"
                ) from error
            try:
                if expected and result.sha256 != expected:
                    raise ModelStoreError(
                        f"checksum mismatch for {url}: expected sha256 {expected}, got "
                        f"{result.sha256}; the download was deleted. If this mirror serves "
                        "another release on purpose, pass its checksum with --sha256"
                    )
                installed = self._install(
                    partial, name, force, url, result.sha256, known, on_step=on_step
                )
            except ModelStoreError:
                _remove_download(partial)
                raise
            _remove_download(partial)
            return installed

    def import_model(
        self,
        path: Path,
        name: str | None = None,
        force: bool = False,
        sha256: str | None = None,
        on_step: StepCallback | None = None,
    ) -> InstalledModel:
        """Installs a local archive (.zip/.tar.gz) or directory, OPUS-MT or CTranslate2."""
        path = Path(path)
        if not path.exists():
            raise ModelStoreError(
                f"{path} does not exist: give the OPUS-MT archive (.zip/.tar.gz) or the "
                "model directory to import"
            )
        known = next((m for m in KNOWN_MODELS.values() if Path(m.archive).name == path.name), None)
        name = name or (known.name if known else self._name_for(path))
        self._refuse_overwrite(name, force)
        archive_sha256 = ""
        if sha256 and not path.is_file():
            raise ModelStoreError(
                f"--sha256 checks an archive, but {path} is a directory; leave it out"
            )
        if path.is_file():
            archive_sha256 = sha256_file(path)
            expected = _check_sha256(sha256) or (known.sha256 if known else None)
            if expected and archive_sha256 != expected:
                raise ModelStoreError(
                    f"checksum mismatch for {path}: expected sha256 {expected}, got "
                    f"{archive_sha256}; the archive is damaged or another release"
                )
        with self._lock():
            return self._install(path, name, force, "", archive_sha256, known, on_step=on_step)

    def _name_for(self, path: Path) -> str:
        if path.is_dir() and (path / MANIFEST).is_file():
            with contextlib.suppress(ModelStoreError):
                return read_manifest(path).name
        return _archive_stem(path) if path.is_file() else path.resolve().name

    def _refuse_overwrite(self, name: str, force: bool) -> None:
        if (self.models_dir / check_name(name)).exists() and not force:
            raise ModelStoreError(
                f"model {name!r} is already installed at {self.models_dir / name}; "
                "use --force to replace it"
            )

    def _install(
        self,
        source: Path,
        name: str,
        force: bool,
        source_url: str,
        archive_sha256: str,
        known: KnownModel | None,
        on_step: StepCallback | None,
    ) -> InstalledModel:
        self._refuse_overwrite(name, force)
        with tempfile.TemporaryDirectory(dir=self.staging_dir, prefix=f"{name}.") as scratch:
            work = Path(scratch)
            try:
                if source.is_file():
                    if on_step:
                        on_step(f"unpacking {source.name}")
                    source = unpack(source, work / "unpacked")
                if on_step:
                    on_step(f"building the CTranslate2 model (OPUS-MT converted to {QUANTIZATION})")
                built = build_model(find_model_root(source), work / "model", QUANTIZATION)
            except ConversionError as error:
                raise ModelStoreError(str(error)) from error
            except OSError as error:
                raise ModelStoreError(
                    f"could not build the model in {self.staging_dir} ({error}); check free "
                    "disk space and permissions, then try again"
                ) from error
            Manifest(
                name=name,
                source_language=known.source_language if known else "ar",
                target_language=known.target_language if known else "en",
                architecture=built.architecture,
                source_url=source_url,
                archive_sha256=archive_sha256,
                converter=built.converter,
                ctranslate2_version=built.ctranslate2_version,
                quantization=built.quantization,
                created=datetime.now(UTC).replace(microsecond=0).isoformat(),
                files={f: sha256_file(built.directory / f) for f in built.files},
            ).write(built.directory)
            self._swap_in(built.directory, name, force, work / "previous")
        if self._default_pointer() is None:
            self.set_default(self.default_model_name() or name)
        return self.installed(name)

    def _swap_in(self, new: Path, name: str, force: bool, parking: Path) -> None:
        """Renames ``new`` into place; a replaced install is parked until the swap is done."""
        target = self.models_dir / name
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self._refuse_overwrite(name, force)
        if target.exists():
            os.rename(target, parking)
        try:
            os.rename(new, target)
        except OSError:
            if parking.exists():
                os.rename(parking, target)
            raise

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise ModelStoreError(
                    f"another `tarjama model` command is installing into {self.home}; "
                    "wait for it to finish and try again"
                ) from error
            # Leftovers of a killed install: nobody else can be using them while we hold
            # the lock.
            shutil.rmtree(self.staging_dir, ignore_errors=True)
            self.staging_dir.mkdir(parents=True)
            self.downloads_dir.mkdir(parents=True, exist_ok=True)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_download(partial: Path) -> None:
    partial.unlink(missing_ok=True)
    partial.with_name(partial.name + ".json").unlink(missing_ok=True)
