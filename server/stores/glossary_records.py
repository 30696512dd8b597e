"""What the glossary store hands out and refuses with: stored versions, and its errors."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from tarjama.glossary import Glossary

_SERIALS = itertools.count(1)


def next_serial() -> int:
    """A number for one glossary loaded, never repeated: what matchers are cached by."""
    return next(_SERIALS)


class GlossaryStoreError(Exception):
    """A glossary operation the store refused; the message says why and what to do."""


class UnknownGlossaryError(GlossaryStoreError):
    def __init__(self, name: str, known: Sequence[str], load_error: str = "") -> None:
        same_but_case = [k for k in known if k.lower() == name.lower()]
        state = (
            f"is not served: its file does not load ({load_error}); fix the file"
            if load_error
            else f"does not exist; did you mean {same_but_case[0]!r}?"
            if same_but_case
            else "does not exist"
        )
        super().__init__(
            f"glossary {name!r} {state} (the server has: {', '.join(known) or 'none'})"
        )
        self.name = name


class VersionConflictError(GlossaryStoreError):
    """``expected_version`` is not the stored version."""


class ReadOnlyStoreError(GlossaryStoreError):
    """The glossary folder cannot be written."""


@dataclass(frozen=True)
class StoredGlossary:
    glossary: Glossary  # version always set
    update_time: datetime  # when the file last changed (UTC)
    load_error: str = ""  # why the file on disk does not load; this version keeps serving
    serial: int = field(default=0, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.glossary.name

    @property
    def version(self) -> int:
        return self.glossary.version or 1


@dataclass(frozen=True)
class GlossaryVersion:
    name: str
    version: int


@dataclass(frozen=True)
class FileState:
    signature: tuple[int, int, int]  # mtime_ns, size, inode: changes when the file does
    stored: StoredGlossary | None  # the version serving (None: never loaded successfully)
    error: str = ""  # why the file as it is now does not load


def serving(state: FileState) -> StoredGlossary:
    assert state.stored is not None
    return replace(state.stored, load_error=state.error) if state.error else state.stored


def check_expected(name: str, current: int, expected: int) -> None:
    if expected and expected != current:
        state = f"is at version {current}" if current else "does not exist"
        raise VersionConflictError(
            f"glossary {name!r} {state}, not the expected version {expected}: someone else "
            "changed it; read it again, reapply your change and retry"
        )


def read_only_error(directory: Path) -> ReadOnlyStoreError:
    return ReadOnlyStoreError(
        f"the server's glossary folder {directory} is read-only: glossaries cannot be "
        "changed on this server"
    )
