"""``manifest.json``: the record an installed model carries of where it came from.

The model store writes it when it builds a model and checks the files against it; the
engine reads it to describe the model it loaded. A model directory made by hand (the
tests' small models) may have none: :meth:`Manifest.describe` then names it after its
folder, while :meth:`Manifest.read` insists, since the store cannot verify without one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
_HASH_BLOCK = 1 << 20


class ManifestError(Exception):
    """The manifest is missing or unreadable."""


@dataclass(frozen=True)
class Manifest:
    name: str
    source_language: str = "ar"
    target_language: str = "en"
    architecture: str = ""
    source_url: str = ""
    archive_sha256: str = ""
    converter: str = ""
    ctranslate2_version: str = ""
    quantization: str = ""
    created: str = ""
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256

    @classmethod
    def read(cls, model_dir: Path) -> Manifest:
        """The manifest the store wrote; every field must be there."""
        try:
            data = _load(model_dir)
            return cls(**{f.name: data[f.name] for f in fields(cls)})
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ManifestError(
                f"{model_dir / MANIFEST} is missing or unreadable ({error}); reinstall the "
                "model with `tarjama model fetch NAME --force` or `tarjama model import "
                "PATH --force`"
            ) from error

    @classmethod
    def describe(cls, model_dir: Path) -> Manifest:
        """What is known of a model: its manifest's fields, or its folder's name alone."""
        if not (model_dir / MANIFEST).exists():
            return cls(name=model_dir.name)
        try:
            data = _load(model_dir)
        except (OSError, ValueError) as error:
            raise ManifestError(f"{model_dir / MANIFEST}: unreadable manifest ({error})") from error
        known: dict[str, Any] = {
            f.name: str(data.get(f.name) or "") for f in fields(cls) if f.name != "files"
        }
        known["name"] = known["name"] or model_dir.name
        return cls(**known)

    def write(self, model_dir: Path) -> None:
        text = json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"
        (model_dir / MANIFEST).write_text(text, encoding="utf-8")


def _load(model_dir: Path) -> dict[str, Any]:
    data = json.loads((model_dir / MANIFEST).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def sha256_digest(path: Path) -> hashlib._Hash:
    """The running sha256 of a file, to continue with more bytes or to read."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_HASH_BLOCK):
            digest.update(block)
    return digest


def sha256_file(path: Path) -> str:
    return sha256_digest(path).hexdigest()
