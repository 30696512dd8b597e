"""Unpack a model archive and turn it into the installed-model layout.

Two inputs are understood: an OPUS-MT release in Marian's layout (``decoder.yml`` naming
the ``.npz`` and the vocabulary ``.yml``, plus ``source.spm`` / ``target.spm``), which is
converted with CTranslate2's ``OpusMTConverter`` (numpy and yaml only, no torch), and a
directory that already holds a CTranslate2 model, which is copied as it is. The
``manifest.json`` written beside the files records where the model came from and the
sha256 of every file.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import yaml

from tarjama.server.stores.manifest import Manifest, ManifestError

SPM_FILES = ("source.spm", "target.spm")
CT2_CORE_FILES = ("model.bin", "config.json")
CT2_VOCABULARY_SETS = (
    ("shared_vocabulary.json",),
    ("shared_vocabulary.txt",),
    ("source_vocabulary.json", "target_vocabulary.json"),
    ("source_vocabulary.txt", "target_vocabulary.txt"),
)
CONVERTER = "ctranslate2.converters.OpusMTConverter"
UNKNOWN = "unknown"
_DRIVE = re.compile(r"^[A-Za-z]:")


class ConversionError(Exception):
    """The archive or directory cannot be unpacked or turned into a model."""


@dataclass(frozen=True)
class BuiltModel:
    """A model directory in the installed layout (without its manifest yet)."""

    directory: Path
    files: tuple[str, ...]
    architecture: str
    converter: str
    ctranslate2_version: str
    quantization: str


def _check_member(name: str) -> None:
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _DRIVE.match(normal) or ".." in PurePosixPath(normal).parts:
        raise ConversionError(
            f"archive member {name!r} would be written outside the unpack directory "
            "(absolute path or '..'); refusing to unpack this archive — get the model "
            "from its original release"
        )


def _unpack_zip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            _check_member(member.filename)
        bundle.extractall(dest)


def _unpack_tar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as bundle:
        for member in bundle.getmembers():
            _check_member(member.name)
            if not (member.isfile() or member.isdir()):
                raise ConversionError(
                    f"archive member {member.name!r} is a link or special file; a model "
                    "archive holds only files and folders — refusing to unpack it"
                )
        bundle.extractall(dest, filter="data")


def unpack(archive: Path, dest: Path) -> Path:
    """Extracts a ``.zip`` or ``.tar(.gz)`` archive into ``dest``; returns ``dest``."""
    damaged = (
        f"{archive.name} is damaged or not a zip/tar.gz archive (a truncated or corrupted "
        "download?): download it again"
    )
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            _unpack_zip(archive, dest)
        elif tarfile.is_tarfile(archive):
            _unpack_tar(archive, dest)
        else:
            raise ConversionError(damaged)
    except (zipfile.BadZipFile, zlib.error, tarfile.TarError, EOFError) as error:
        raise ConversionError(f"{damaged} ({error})") from error
    return dest


def find_model_root(directory: Path) -> Path:
    """The folder holding the model: ``directory`` itself or its only subfolder."""
    if _is_marian(directory) or _is_ctranslate2(directory):
        return directory
    entries = [entry for entry in directory.iterdir() if not entry.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return find_model_root(entries[0])
    return directory


def _is_marian(directory: Path) -> bool:
    return (directory / "decoder.yml").is_file()


def _is_ctranslate2(directory: Path) -> bool:
    return (directory / "model.bin").is_file()


def build_model(source: Path, output: Path, quantization: str = "int8") -> BuiltModel:
    """Writes the installed layout for the model in ``source`` into ``output`` (new)."""
    if _is_marian(source):
        return _convert_marian(source, output, quantization)
    if _is_ctranslate2(source):
        return _copy_ctranslate2(source, output)
    raise ConversionError(
        f"{source} holds neither an OPUS-MT/Marian model (decoder.yml, the .npz it names, "
        "the vocabulary .yml, source.spm, target.spm) nor a CTranslate2 model (model.bin, "
        "config.json, the vocabulary, source.spm, target.spm)"
    )


def _require(directory: Path, names: tuple[str, ...] | list[str], what: str) -> None:
    missing = [name for name in names if not (directory / name).is_file()]
    if missing:
        raise ConversionError(
            f"{what} in {directory.name or directory} is incomplete: missing "
            f"{', '.join(missing)} — use the complete release archive"
        )


def _marian_files(source: Path) -> tuple[str, list[str]]:
    """The .npz and vocabulary file names that ``decoder.yml`` points to."""
    try:
        decoder = yaml.safe_load((source / "decoder.yml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConversionError(f"decoder.yml cannot be read ({error})") from error
    models = decoder.get("models") if isinstance(decoder, dict) else None
    vocabs = decoder.get("vocabs") if isinstance(decoder, dict) else None
    if not (isinstance(models, list) and models and isinstance(vocabs, list) and vocabs):
        raise ConversionError("decoder.yml does not name the model (models:) and vocabularies")
    for name in [models[0], *vocabs]:
        _check_member(str(name))
    return str(models[0]), [str(vocab) for vocab in vocabs]


def _marian_architecture(npz_path: Path) -> str:
    try:
        with np.load(npz_path) as weights:
            raw = weights["special:model.yml"].tobytes().rstrip(b"\0")
    except KeyError:
        return UNKNOWN
    except Exception as error:  # numpy raises many types for a damaged .npz
        raise ConversionError(
            f"{npz_path.name} is damaged ({type(error).__name__}: {error}) — use the "
            "complete release archive"
        ) from error
    try:
        options = yaml.safe_load(raw.decode("utf-8", errors="replace"))
    except yaml.YAMLError:
        return UNKNOWN
    if not isinstance(options, dict):
        return UNKNOWN
    kind = str(options.get("type", "transformer"))
    if options.get("guided-alignment", "none") not in ("none", "", None):
        kind += "-align"
    return (
        f"{kind} {options.get('enc-depth', '?')}+{options.get('dec-depth', '?')}, "
        f"d_model {options.get('dim-emb', '?')}, {options.get('transformer-heads', '?')} heads"
    )


def _convert_marian(source: Path, output: Path, quantization: str) -> BuiltModel:
    import ctranslate2
    from ctranslate2.converters import OpusMTConverter

    model_file, vocab_files = _marian_files(source)
    _require(source, [model_file, *vocab_files, *SPM_FILES], "the OPUS-MT model")
    architecture = _marian_architecture(source / model_file)
    try:
        OpusMTConverter(str(source)).convert(str(output), quantization=quantization)
    except Exception as error:  # the converter raises whatever its readers raise
        raise ConversionError(
            f"OpusMTConverter could not convert the model ({type(error).__name__}: {error})"
            " — the archive may be damaged or not an OPUS-MT transformer"
        ) from error
    for name in SPM_FILES:
        shutil.copyfile(source / name, output / name)
    return BuiltModel(
        directory=output,
        files=_model_files(output),
        architecture=architecture,
        converter=CONVERTER,
        ctranslate2_version=ctranslate2.__version__,
        quantization=quantization,
    )


def _copy_ctranslate2(source: Path, output: Path) -> BuiltModel:
    vocabulary = next(
        (names for names in CT2_VOCABULARY_SETS if all((source / n).is_file() for n in names)),
        None,
    )
    if vocabulary is None:
        raise ConversionError(
            f"the CTranslate2 model in {source.name} has no vocabulary "
            "(shared_vocabulary.json, or source_vocabulary.json and target_vocabulary.json)"
        )
    names = (*CT2_CORE_FILES, *vocabulary, *SPM_FILES)
    _require(source, names, "the CTranslate2 model")
    output.mkdir(parents=True)
    for name in names:
        shutil.copyfile(source / name, output / name)
    try:
        earlier = Manifest.describe(source)
    except ManifestError:
        earlier = Manifest(name=source.name)  # an unreadable record says nothing
    return BuiltModel(
        directory=output,
        files=tuple(sorted(names)),
        architecture=earlier.architecture or UNKNOWN,
        converter=earlier.converter or UNKNOWN,
        ctranslate2_version=earlier.ctranslate2_version or UNKNOWN,
        quantization=earlier.quantization or UNKNOWN,
    )


def _model_files(directory: Path) -> tuple[str, ...]:
    return tuple(sorted(p.name for p in directory.iterdir() if p.is_file()))
