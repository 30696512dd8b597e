"""The server's glossaries: one YAML file per glossary in a folder, versioned, hot-reloaded.

Each glossary lives in ``<folder>/<name>.yaml`` in the schema of glossary/README.md, and
its version in the file's ``version:`` field, so a restart serves the versions clients saw.
Writes (Put, Delete) go through the store. A Put is parsed and checked with the loader's
own rules and limits on the exact text that goes to disk, before anything is written;
then written to a temporary file, fsynced and renamed over the old one, so a reader or a
crash never sees half a file, a file that does not load never replaces a good one, and a
Put is answered with its new version only once that version is stored and serving.

Reads (List, Get, the matchers Translate uses) take one short lock, only to look up what
is serving; parsing, writing and fsyncing happen outside it, one writer at a time, and
the result is swapped in under the short lock. So a large Put never stalls a Translate.

People may also edit the files directly. The store notices on access, checking the
folder's files at most every ``check_interval_s`` (a stat per file; no watcher thread to
start, stop or leak): a changed file is reloaded, and when its content changed without a
higher ``version:`` the store bumps the version and writes the new number into the file
(only that line changes, comments stay). A file that no longer loads keeps the last good
version serving, also across a restart (see glossary_disk), and List and Get report why
it does not load. Versions are never reused, not even by a glossary deleted and created
again under the same name.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from tarjama.glossary import (
    Glossary,
    GlossaryError,
    Matcher,
    Problem,
    Term,
    bundled_glossary_names,
    bundled_glossary_path,
    dump_glossary,
    parse_glossary,
    validate_glossary,
)
from tarjama.glossary.model import NAME_PATTERN
from tarjama.glossary.yaml_io import read_glossary_file
from tarjama.server.stores.glossary_disk import StateFolder, remove_file, write_file

SUFFIX = ".yaml"
_MATCHER_CACHE_SIZE = 64
_MAX_ERROR_CHARS = 500
_VERSION_LINE = re.compile(r"^version\s*:.*$", re.MULTILINE)
_NAME_LINE = re.compile(r"^name\s*:.*$", re.MULTILINE)
_SERIALS = itertools.count(1)  # one per glossary loaded: what matchers are cached by
log = logging.getLogger(__name__)


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
class _FileState:
    signature: tuple[int, int, int]  # mtime_ns, size, inode: changes when the file does
    stored: StoredGlossary | None  # the version serving (None: never loaded successfully)
    error: str = ""  # why the file as it is now does not load


class GlossaryStore:
    """Thread-safe access to the glossary folder; see the module docstring."""

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
        self._files: dict[str, _FileState] = {}
        self._marks: dict[str, int] = {}  # highest version ever served, per name
        self._last_check = -float("inf")
        self._matchers: OrderedDict[tuple[object, ...], Matcher] = OrderedDict()
        self._matchers_lock = threading.Lock()

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

    # -- reading ---------------------------------------------------------------------------

    def broken(self) -> list[tuple[str, str]]:
        """(name, why) of every glossary file that does not load and never did: not served."""
        self._notice_edits()
        with self._lock:
            return [(n, s.error) for n, s in sorted(self._files.items()) if s.stored is None]

    def list(self) -> list[StoredGlossary]:
        """Every glossary serving, sorted by name."""
        self._notice_edits()
        with self._lock:
            return [_serving(state) for _, state in sorted(self._files.items()) if state.stored]

    def get(self, name: str) -> StoredGlossary:
        self._notice_edits()
        with self._lock:
            return self._current(name)

    def matcher(
        self, names: Sequence[str], inline_terms: Sequence[Term] = ()
    ) -> tuple[Matcher, tuple[GlossaryVersion, ...]]:
        """A matcher for `names` (priority order) and inline terms, and the versions used.

        Matchers are cached by the glossaries loaded (not just their names and versions)
        and the inline terms, so repeated requests do not rebuild tries and an edit takes
        effect on the next request.
        """
        self._notice_edits()
        with self._lock:
            stored = [self._current(name) for name in names]
        versions = tuple(GlossaryVersion(s.name, s.version) for s in stored)
        key = (tuple(s.serial for s in stored), tuple(inline_terms))
        with self._matchers_lock:
            if (cached := self._matchers.get(key)) is not None:
                self._matchers.move_to_end(key)
                return cached, versions
        built = Matcher([(s.name, s.glossary) for s in stored], inline_terms)
        with self._matchers_lock:
            self._matchers[key] = built
            if len(self._matchers) > _MATCHER_CACHE_SIZE:
                self._matchers.popitem(last=False)
        return built, versions

    def _current(self, name: str) -> StoredGlossary:
        state = self._files.get(name)
        if state is None or state.stored is None:
            known = [n for n, s in sorted(self._files.items()) if s.stored]
            raise UnknownGlossaryError(name, known, state.error if state else "")
        return _serving(state)

    # -- writing ---------------------------------------------------------------------------

    def put(self, glossary: Glossary, expected_version: int = 0) -> StoredGlossary:
        """Validates and stores `glossary` (its version is ignored) as the next version."""
        problems = validate_glossary(replace(glossary, version=None), "PutGlossary")
        if problems:
            raise GlossaryError(problems)

        def content(version: int) -> tuple[str, Glossary]:
            text = dump_glossary(replace(glossary, version=version))
            return text, parse_glossary(text, "PutGlossary")

        return self._store(glossary.name, expected_version, content)

    def put_yaml(self, text: str, expected_version: int = 0) -> StoredGlossary:
        """Stores a whole YAML file as the next version, keeping its comments."""
        label = "PutGlossary yaml"
        glossary = parse_glossary(text, label)

        def content(version: int) -> tuple[str, Glossary]:
            if edited := _with_version(text, version, label):
                return edited
            dumped = dump_glossary(replace(glossary, version=version))
            return dumped, parse_glossary(dumped, label)

        return self._store(glossary.name, expected_version, content)

    def delete(self, name: str, expected_version: int = 0) -> int:
        """Removes the glossary's file; returns the version that was deleted."""
        with self._write_lock:
            self._scan()
            with self._lock:
                current = self._current(name)
            _check_expected(name, current.version, expected_version)
            self._raise_mark(name, current.version)
            try:
                remove_file(self._path(name))
            except PermissionError as error:
                raise _read_only(self.directory) from error
            self._forget(name)
            return current.version

    def _store(
        self,
        name: str,
        expected_version: int,
        content: Callable[[int], tuple[str, Glossary]],
    ) -> StoredGlossary:
        """Writes the next version of `name`; `content` gives its text and what it loads as."""
        with self._write_lock:
            self._scan()  # edits on disk count: the version follows them
            state = self._files.get(name)
            current = state.stored.version if state and state.stored else 0
            _check_expected(name, current, expected_version)
            version = max(current, self._marks.get(name, 0)) + 1
            text, glossary = content(version)  # the limits hold for exactly what is written
            # The mark goes first: a crash in between skips a version, never reuses one.
            self._raise_mark(name, version)
            path = self._path(name)
            self._write(path, text)
            signature = _signature(path)
            stored = StoredGlossary(glossary, _time(signature), serial=next(_SERIALS))
            self._commit(name, _FileState(signature, stored), text)
            return stored

    def _raise_mark(self, name: str, version: int) -> None:
        if version <= self._marks.get(name, 0):
            return
        try:
            self._state.write_mark(name, version)
        except PermissionError as error:
            raise _read_only(self.directory) from error
        self._marks[name] = version

    def _write(self, path: Path, text: str) -> None:
        try:
            write_file(path, text)
        except PermissionError as error:
            raise _read_only(self.directory) from error

    def _commit(self, name: str, state: _FileState, text: str) -> None:
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
            signature = _signature(path)
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
            serving = f"version {previous.version} keeps serving" if previous else "not served"
            log.warning("glossary file %s rejected (%s): %s", path, serving, reason)
            with self._lock:
                self._files[name] = _FileState(signature, previous, reason)
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
                self._files[name] = _FileState(signature, previous)
            return
        else:
            version = floor + 1
        if version != glossary.version:
            text, signature = self._record_version(name, path, text, signature, version)
        self._marks_best_effort(name, version)
        stored = StoredGlossary(
            replace(glossary, version=version), _time(signature), serial=next(_SERIALS)
        )
        self._commit(name, _FileState(signature, stored), text)
        if previous is None or previous.version != version:
            log.info("glossary %s: version %d loaded from %s", name, version, path)

    def _load_copy(self, name: str, text: str) -> StoredGlossary | None:
        """The last good copy kept from before a restart, if it still loads."""
        path = self._state.copy_path(name)
        try:
            glossary = parse_glossary(text, str(path))
            when = _time(_signature(path))
        except (GlossaryError, OSError) as error:
            log.warning("glossary %s: its last good copy %s is unusable (%s)", name, path, error)
            return None
        return StoredGlossary(glossary, when, serial=next(_SERIALS))

    def _marks_best_effort(self, name: str, version: int) -> None:
        try:
            self._raise_mark(name, version)
        except (OSError, GlossaryStoreError) as error:
            log.warning(
                "glossary %s: version %d serves but is not recorded (%s)", name, version, error
            )

    def _record_version(
        self, name: str, path: Path, text: str, signature: tuple[int, int, int], version: int
    ) -> tuple[str, tuple[int, int, int]]:
        """Writes a version bumped for an edit on disk back into the file, if it can."""
        edited = _with_version(text, version, path.name)
        if edited is None:
            log.warning("glossary %s: cannot place `version: %d` in %s", name, version, path)
            return text, signature
        try:
            self._write(path, edited[0])
            return edited[0], _signature(path)
        except (OSError, GlossaryStoreError) as error:
            log.warning(
                "glossary %s: version %d serves, but %s cannot be updated (%s)",
                name, version, path, error,
            )  # fmt: skip
            return text, signature


def _serving(state: _FileState) -> StoredGlossary:
    assert state.stored is not None
    return replace(state.stored, load_error=state.error) if state.error else state.stored


def _same_terms(one: Glossary, other: Glossary) -> bool:
    return replace(one, version=None) == replace(other, version=None)


def _signature(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size, status.st_ino


def _time(signature: tuple[int, int, int]) -> datetime:
    return datetime.fromtimestamp(signature[0] / 1e9, tz=UTC)


def _misnamed(name: str) -> str:
    shown = name if len(name) <= 64 else name[:63] + "…"
    return f"the file names itself {shown!r}: rename the file or fix its name"


def _summary(error: GlossaryError) -> str:
    """The first problem and how many more: enough to find the fault, bounded in size."""
    first, more = str(error.problems[0]), len(error.problems) - 1
    text = f"{first} (and {more} more problems)" if more else first
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"


def _with_version(text: str, version: int, label: str) -> tuple[str, Glossary] | None:
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


def _check_expected(name: str, current: int, expected: int) -> None:
    if expected and expected != current:
        state = f"is at version {current}" if current else "does not exist"
        raise VersionConflictError(
            f"glossary {name!r} {state}, not the expected version {expected}: someone else "
            "changed it; read it again, reapply your change and retry"
        )


def _read_only(directory: Path) -> ReadOnlyStoreError:
    return ReadOnlyStoreError(
        f"the server's glossary folder {directory} is read-only: glossaries cannot be "
        "changed on this server"
    )
