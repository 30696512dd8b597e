"""The installed models: which there are, which is the default, and whether each is intact.

Layout under the store's home (``TARJAMA_HOME``, else the platform's user data folder)::

    models/<name>/     one installed model (see the installed-model layout: model.bin,
                       config.json, the vocabulary, source.spm, target.spm, manifest.json)
    default            the name of the default model

This side only reads, apart from choosing the default; installing is
:class:`tarjama.server.stores.models.ModelStore`'s.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tarjama.server.stores.manifest import Manifest, ManifestError, sha256_file

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
log = logging.getLogger(__name__)


class ModelStoreError(Exception):
    """What went wrong with a model, and what to do about it."""


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    manifest: Manifest
    size_bytes: int
    is_default: bool


@dataclass(frozen=True)
class VerifyResult:
    name: str
    path: Path
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def read_manifest(model_dir: Path) -> Manifest:
    try:
        return Manifest.read(model_dir)
    except ManifestError as error:
        raise ModelStoreError(str(error)) from error


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ModelStoreError(
            f"{name!r} is not a usable model name: use letters, digits, '.', '_' and '-' "
            "(at most 100 characters, starting with a letter or digit); with `tarjama "
            "model import`, choose one with --name"
        )
    return name


class InstalledModels:
    """The models installed under one home folder."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.models_dir = self.home / "models"
        self._default_file = self.home / "default"

    def _installed_names(self) -> list[str]:
        if not self.models_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.models_dir.iterdir() if p.is_dir() and NAME.match(p.name)
        )

    def installed(self, name: str) -> InstalledModel:
        path = self.model_path(name)
        return InstalledModel(
            name=name,
            path=path,
            manifest=read_manifest(path),
            size_bytes=sum(p.stat().st_size for p in path.rglob("*") if p.is_file()),
            is_default=self.default_model_name() == name,
        )

    def list_models(self) -> list[InstalledModel]:
        """The installed models, by name; a folder without a readable manifest is logged."""
        models = []
        for name in self._installed_names():
            try:
                models.append(self.installed(name))
            except ModelStoreError as error:
                log.warning("skipping %s: %s", name, error)
        return models

    def _default_pointer(self) -> str | None:
        """The name in the ``default`` file, if it names an installed model."""
        with contextlib.suppress(OSError):
            chosen = self._default_file.read_text(encoding="utf-8").strip()
            if chosen in self._installed_names():
                return chosen
        return None

    def default_model_name(self) -> str | None:
        """The model named by ``default``, else the earliest installed one, else None.

        The first model installed into a store becomes its default; `tarjama model
        default NAME` changes it.
        """
        if chosen := self._default_pointer():
            return chosen
        dated = []
        for name in self._installed_names():
            with contextlib.suppress(ModelStoreError):
                dated.append((read_manifest(self.models_dir / name).created, name))
        return min(dated)[1] if dated else None

    def set_default(self, name: str) -> None:
        self.model_path(name)
        self.home.mkdir(parents=True, exist_ok=True)
        temporary = self._default_file.with_name("default.tmp")
        temporary.write_text(name + "\n", encoding="utf-8")
        os.replace(temporary, self._default_file)

    def model_path(self, name: str | None = None) -> Path:
        """The folder of an installed model; ``None`` means the default model."""
        if name is None:
            name = self.default_model_name()
            if name is None:
                raise ModelStoreError(
                    f"no model installed in {self.home}: run `tarjama model fetch`, or "
                    "`tarjama model import PATH` on an offline machine"
                )
        path = self.models_dir / check_name(name)
        if not path.is_dir():
            installed = ", ".join(self._installed_names()) or "none"
            raise ModelStoreError(
                f"model {name!r} is not installed (installed: {installed}); run "
                f"`tarjama model fetch {name}` or `tarjama model import PATH --name {name}`"
            )
        return path

    def verify(self, name: str | None = None) -> VerifyResult:
        """Checks every file against the manifest's sha256, then loads the model."""
        path = self.model_path(name)
        manifest = read_manifest(path)
        problems = []
        for relative, expected in sorted(manifest.files.items()):
            file = path / relative
            if not file.is_file():
                problems.append(f"{relative} is missing")
            elif (actual := sha256_file(file)) != expected:
                problems.append(f"{relative} was modified: sha256 {actual}, manifest {expected}")
        for required in ("model.bin", "config.json", "source.spm", "target.spm"):
            if required not in manifest.files:
                problems.append(f"the manifest does not list {required}")
        if not problems:
            problems.extend(_load_problems(path))
        return VerifyResult(path.name, path, tuple(problems))


def _load_problems(path: Path) -> list[str]:
    import ctranslate2
    import sentencepiece

    problems = []
    try:
        ctranslate2.Translator(str(path), device="cpu")
    except Exception as error:  # CTranslate2 reports load failures as various types
        problems.append(f"CTranslate2 cannot load the model ({error})")
    for spm_name in ("source.spm", "target.spm"):
        try:
            sentencepiece.SentencePieceProcessor(model_file=str(path / spm_name))
        except Exception as error:  # sentencepiece raises OSError or RuntimeError
            problems.append(f"SentencePiece cannot load {spm_name} ({error})")
    return problems
