"""The glossary folder as the store last read it, kept in step with people's edits.

People may edit the files directly. The store notices on access, checking the folder's
files at most every ``check_interval_s`` (a stat per file; no watcher thread to start,
stop or leak): a changed file is reloaded, and when its content changed without a higher
``version:`` the store bumps the version and writes the new number into the file (only
that line changes, comments stay). A file that no longer loads keeps the last good
version serving, also across a restart (see glossary_disk), and List and Get report why
it does not load. Versions are never reused, not even by a glossary deleted and created
again under the same name.

:class:`GlossaryFolder` holds what serves, per name, and the primitives that change it;
:class:`tarjama.server.stores.glossaries.GlossaryStore` builds reads and writes on them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tarjama.glossary import (
    Glossary,
    GlossaryError,
    Problem,
    bundled_glossary_names,
    bundled_glossary_path,
    parse_glossary,
)
from tarjama.glossary.model import NAME_PATTERN
from tarjama.glossary.yaml_io import read_glossary_file
from tarjama.server.stores.glossary_disk import (
    Signature,
    StateFolder,
    file_signature,
    modified_time,
    with_version,
    write_file,
)
from tarjama.server.stores.glossary_records import (
    FileState,
    GlossaryStoreError,
    StoredGlossary,
    UnknownGlossaryError,
    next_serial,
    read_only_error,
    serving,
)

SUFFIX = ".yaml"
_MAX_ERROR_CHARS = 500
log = logging.getLogger(__name__)


class GlossaryFolder:
    """One folder of glossary files and what serves from it; see the module docstring."""

    def __init__(
        self,
        directory: Path,
        *,
        check_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = Path(directory)
        self.check_interval_s = check_interval_s
        self._clock = clock
        self._state = StateFolder(self.directory)
        # Readers hold _lock only to look _files up. Whoever changes _files (a write, or a
        # scan of the folder) holds _write_lock throughout and _lock only for the swap.
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._files: dict[str, FileState] = {}
        self._marks: dict[str, int] = {}  # highest version ever served, per name
        self._last_check = -float("inf")

    def open(self) -> None:
        """Creates the folder, seeds the bundled glossaries into an empty one, loads all."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise GlossaryStoreError(
                f"cannot create the glossary folder {self.directory}: {error.strerror}; "
                "create it or set glossary_dir to a writable folder"
            ) from error
        self._state.open()
        if not any(self.directory.glob("*" + SUFFIX)):
            for name in bundled_glossary_names():
                bundled = bundled_glossary_path(name)
                assert bundled is not None
                log.info("seeding glossary %s into %s", name, self.directory)
                self._write(self._path(name), bundled.read_text(encoding="utf-8"))
        with self._write_lock:
            self._marks = self._state.marks()
            self._scan()
            for name in self._state.copy_names() - set(self._files):
                self._state.drop_copy(name)  # its file was removed while the server was down

    # -- what serves, and changing it -----------------------------------------------------

    def _current(self, name: str) -> StoredGlossary:
        state = self._files.get(name)
        if state is None or state.stored is None:
            known = [n for n, s in sorted(self._files.items()) if s.stored]
            raise UnknownGlossaryError(name, known, state.error if state else "")
        return serving(state)

    def _raise_mark(self, name: str, version: int) -> None:
        if version <= self._marks.get(name, 0):
            return
        try:
            self._state.write_mark(name, version)
        except PermissionError as error:
            raise read_only_error(self.directory) from error
        self._marks[name] = version

    def _write(self, path: Path, text: str) -> None:
        try:
            write_file(path, text)
        except PermissionError as error:
            raise read_only_error(self.directory) from error

    def _commit(self, name: str, state: FileState, text: str) -> None:
        self._state.save_copy(name, text)
        with self._lock:
            self._files[name] = state

    def _forget(self, name: str) -> None:
        self._state.drop_copy(name)
        with self._lock:
            del self._files[name]

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}{SUFFIX}"

    # -- noticing edits on disk -----------------------------------------------------------

    def _notice_edits(self) -> None:
        if self._clock() - self._last_check < self.check_interval_s:
            return
        if not self._write_lock.acquire(blocking=False):
            return  # a write or another scan is under way: serve what is loaded
        try:
            self._scan()
        finally:
            self._write_lock.release()

    def _scan(self) -> None:
        self._last_check = self._clock()
        on_disk: dict[str, Path] = {}
        for path in self.directory.glob("*" + SUFFIX):
            if NAME_PATTERN.fullmatch(path.stem):
                on_disk[path.stem] = path
        for name in set(self._files) - set(on_disk):
            log.info("glossary %s: file removed, no longer served", name)
            stored = self._files[name].stored
            if stored is not None:
                self._marks_best_effort(name, stored.version)
            self._forget(name)
        for name, path in on_disk.items():
            self._load(name, path)

    def _load(self, name: str, path: Path) -> None:
        """(Re)loads one file if it changed since it was last read."""
        try:
            signature = file_signature(path)
        except FileNotFoundError:
            return  # deleted between listing and reading: the next scan drops it
        state = self._files.get(name)
        if state is not None and state.signature == signature:
            return
        previous = state.stored if state else None
        # First sight of the file in this process: what served before the restart.
        copy = self._state.read_copy(name) if state is None else None
        try:
            text, glossary = read_glossary_file(path, path.name)
            if glossary.name != name:
                raise GlossaryError(
                    [Problem(path.name, None, "", _misnamed(glossary.name))]
                )  # fmt: skip
        except GlossaryError as error:
            if copy is not None:
                previous = self._load_copy(name, copy)
            reason = _summary(error)
            fate = f"version {previous.version} keeps serving" if previous else "not served"
            log.warning("glossary file %s rejected (%s): %s", path, fate, reason)
            with self._lock:
                self._files[name] = FileState(signature, previous, reason)
            return
        if copy is not None and copy != text:
            previous = self._load_copy(name, copy)
        floor = max(self._marks.get(name, 0), previous.version if previous else 0)
        stated = glossary.version or 1
        if copy == text:  # the file as last served, whose version may not be in it
            version = max(stated, self._marks.get(name, 0))
        elif stated > floor:
            version = stated
        elif previous is not None and _same_terms(glossary, previous.glossary):
            with self._lock:  # only touched: the loaded version and its matchers stay
                self._files[name] = FileState(signature, previous)
            return
        else:
            version = floor + 1
        if version != glossary.version:
            text, signature = self._record_version(name, path, text, signature, version)
        self._marks_best_effort(name, version)
        stored = StoredGlossary(
            replace(glossary, version=version), modified_time(signature), serial=next_serial()
        )
        self._commit(name, FileState(signature, stored), text)
        if previous is None or previous.version != version:
            log.info("glossary %s: version %d loaded from %s", name, version, path)

    def _load_copy(self, name: str, text: str) -> StoredGlossary | None:
        """The last good copy kept from before a restart, if it still loads."""
        path = self._state.copy_path(name)
        try:
            glossary = parse_glossary(text, str(path))
            when = modified_time(file_signature(path))
        except (GlossaryError, OSError) as error:
            log.warning("glossary %s: its last good copy %s is unusable (%s)", name, path, error)
            return None
        return StoredGlossary(glossary, when, serial=next_serial())

    def _marks_best_effort(self, name: str, version: int) -> None:
        try:
            self._raise_mark(name, version)
        except (OSError, GlossaryStoreError) as error:
            log.warning(
                "glossary %s: version %d serves but is not recorded (%s)", name, version, error
            )

    def _record_version(
        self, name: str, path: Path, text: str, signature: Signature, version: int
    ) -> tuple[str, Signature]:
        """Writes a version bumped for an edit on disk back into the file, if it can."""
        edited = with_version(text, version, path.name)
        if edited is None:
            log.warning("glossary %s: cannot place `version: %d` in %s", name, version, path)
            return text, signature
        try:
            self._write(path, edited[0])
            return edited[0], file_signature(path)
        except (OSError, GlossaryStoreError) as error:
            log.warning(
                "glossary %s: version %d serves, but %s cannot be updated (%s)",
                name, version, path, error,
            )  # fmt: skip
            return text, signature


def _same_terms(one: Glossary, other: Glossary) -> bool:
    return replace(one, version=None) == replace(other, version=None)


def _misnamed(name: str) -> str:
    shown = name if len(name) <= 64 else name[:63] + "…"
    return f"the file names itself {shown!r}: rename the file or fix its name"


def _summary(error: GlossaryError) -> str:
    """The first problem and how many more: enough to find the fault, bounded in size."""
    first, more = str(error.problems[0]), len(error.problems) - 1
    text = f"{first} (and {more} more problems)" if more else first
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"
