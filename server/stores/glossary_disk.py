"""The glossary store's files: crash-safe writes, their version line, and what the store
keeps beside the glossaries.

In ``<folder>/.tarjama/`` the store keeps, per glossary name:

- ``<name>.version``: the highest version ever served under the name. It outlives a
  delete, so a glossary deleted and created again continues from there: a version number
  never means two different glossaries, for caches or for a client's expected_version.
- ``<name>.yaml``: a copy of the file of the version serving. When someone breaks the
  glossary's file while the server is down, the restart serves this copy instead of
  losing the glossary (or, for a default glossary, refusing to start).

People edit the glossary files; nobody needs to touch this folder. Losing it loses only
these two safeguards.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tarjama.glossary import Glossary, GlossaryError, parse_glossary

STATE_FOLDER = ".tarjama"
_VERSION_LINE = re.compile(r"^version\s*:.*$", re.MULTILINE)
_NAME_LINE = re.compile(r"^name\s*:.*$", re.MULTILINE)
log = logging.getLogger(__name__)

Signature = tuple[int, int, int]  # mtime_ns, size, inode: changes when the file does


def write_file(path: Path, text: str) -> None:
    """Temp file + fsync + rename + fsync of the folder: after a crash the folder holds the
    old file or the new one, whole. Raises OSError (PermissionError: read-only folder)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def remove_file(path: Path) -> None:
    """Removes `path` (if there) so that the removal survives a crash."""
    path.unlink(missing_ok=True)
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def file_signature(path: Path) -> Signature:
    status = path.stat()
    return status.st_mtime_ns, status.st_size, status.st_ino


def modified_time(signature: Signature) -> datetime:
    return datetime.fromtimestamp(signature[0] / 1e9, tz=UTC)


def with_version(text: str, version: int, label: str) -> tuple[str, Glossary] | None:
    """`text` with its top-level `version:` set and what it loads as, or None where the
    layout is not block YAML (or the edit would not load)."""
    if _VERSION_LINE.search(text):
        edited = _VERSION_LINE.sub(f"version: {version}", text, count=1)
    elif match := _NAME_LINE.search(text):
        edited = f"{text[: match.end()]}\nversion: {version}{text[match.end() :]}"
    else:
        return None
    try:
        glossary = parse_glossary(edited, label)
    except GlossaryError:
        return None
    return (edited, glossary) if glossary.version == version else None


class StateFolder:
    """High-water marks and last good copies; see the module docstring."""

    def __init__(self, glossary_folder: Path) -> None:
        self.folder = glossary_folder / STATE_FOLDER

    def open(self) -> None:
        try:
            self.folder.mkdir(exist_ok=True)
        except OSError as error:
            log.warning(
                "cannot create %s (%s): glossary versions may repeat after a delete, and a "
                "glossary file broken while the server is down is not served",
                self.folder, error.strerror,
            )  # fmt: skip

    def marks(self) -> dict[str, int]:
        """Every name's high-water mark; an unreadable mark counts as none."""
        marks = {}
        for path in self.folder.glob("*.version"):
            try:
                marks[path.stem] = int(path.read_text(encoding="ascii").strip())
            except (OSError, ValueError) as error:
                log.warning("ignoring the unreadable version mark %s (%s)", path, error)
        return marks

    def write_mark(self, name: str, version: int) -> None:
        """Raises OSError: a write must not be acknowledged with a mark that was not saved."""
        write_file(self.folder / f"{name}.version", f"{version}\n")

    def copy_names(self) -> set[str]:
        return {path.stem for path in self.folder.glob("*.yaml")}

    def copy_path(self, name: str) -> Path:
        return self.folder / f"{name}.yaml"

    def read_copy(self, name: str) -> str | None:
        try:
            return self.copy_path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def save_copy(self, name: str, text: str) -> None:
        """Best effort: the glossary itself is already stored."""
        try:
            write_file(self.copy_path(name), text)
        except OSError as error:
            log.warning("glossary %s: no last good copy kept (%s)", name, error)

    def drop_copy(self, name: str) -> None:
        try:
            remove_file(self.copy_path(name))
        except OSError as error:
            log.warning("glossary %s: cannot remove its last good copy (%s)", name, error)
