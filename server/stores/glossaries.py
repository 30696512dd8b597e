"""The server's glossaries: one YAML file per glossary in a folder, versioned, hot-reloaded.

Each glossary lives in ``<folder>/<name>.yaml`` in the schema of glossary/README.md, and
its version in the file's ``version:`` field, so a restart serves the versions clients saw.
Writes (Put, Delete) go through the store: validated with the same rules as the file
loader, written to a temporary file, fsynced and renamed over the old one, so a reader or
a crash never sees half a file and a rejected Put leaves the previous version serving.

People may also edit the files directly. The store notices on access, checking the
folder's files at most every ``check_interval_s`` (a stat per file; no watcher thread to
start, stop or leak): a changed file is reloaded, and when its content changed without a
higher ``version:`` the store bumps the version and writes the new number into the file
(only that line changes, comments stay). A file that no longer loads is logged and the
last good version keeps serving.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from tarjama.glossary import (
    Glossary,
    GlossaryError,
    Matcher,
    Term,
    bundled_glossary_names,
    bundled_glossary_path,
    dump_glossary,
    load_glossary,
    parse_glossary,
    validate_glossary,
)
from tarjama.glossary.model import NAME_PATTERN

SUFFIX = ".yaml"
_MATCHER_CACHE_SIZE = 64
_VERSION_LINE = re.compile(r"^version\s*:.*$", re.MULTILINE)
_NAME_LINE = re.compile(r"^name\s*:.*$", re.MULTILINE)
log = logging.getLogger(__name__)


class GlossaryStoreError(Exception):
    """A glossary operation the store refused; the message says why and what to do."""


class UnknownGlossaryError(GlossaryStoreError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(
            f"glossary {name!r} does not exist (the server has: {', '.join(known) or 'none'})"
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


@dataclass
class _FileState:
    signature: tuple[int, int, int]  # mtime_ns, size, inode: changes when the file does
    stored: StoredGlossary | None  # the version serving (None: never loaded successfully)


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
        self._lock = threading.RLock()
        self._files: dict[str, _FileState] = {}
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
        if not any(self.directory.glob("*" + SUFFIX)):
            for name in bundled_glossary_names():
                bundled = bundled_glossary_path(name)
                assert bundled is not None
                log.info("seeding glossary %s into %s", name, self.directory)
                self._write(name, bundled.read_text(encoding="utf-8"))
        with self._lock:
            self._refresh(force=True)

    # -- reading ---------------------------------------------------------------------------

    def list(self) -> list[StoredGlossary]:
        """Every glossary serving, sorted by name."""
        with self._lock:
            self._refresh()
            return [state.stored for _, state in sorted(self._files.items()) if state.stored]

    def get(self, name: str) -> StoredGlossary:
        with self._lock:
            self._refresh()
            return self._current(name)

    def matcher(
        self, names: Sequence[str], inline_terms: Sequence[Term] = ()
    ) -> tuple[Matcher, tuple[GlossaryVersion, ...]]:
        """A matcher for `names` (priority order) and inline terms, and the versions used.

        Matchers are cached by glossary versions and inline terms, so repeated requests do
        not rebuild tries and an edit takes effect on the next request.
        """
        with self._lock:
            self._refresh()
            glossaries = [self._current(name).glossary for name in names]
        versions = tuple(GlossaryVersion(g.name, g.version or 1) for g in glossaries)
        key = (versions, tuple(inline_terms))
        with self._matchers_lock:
            if (cached := self._matchers.get(key)) is not None:
                self._matchers.move_to_end(key)
                return cached, versions
        built = Matcher([(g.name, g) for g in glossaries], inline_terms)
        with self._matchers_lock:
            self._matchers[key] = built
            if len(self._matchers) > _MATCHER_CACHE_SIZE:
                self._matchers.popitem(last=False)
        return built, versions

    def _current(self, name: str) -> StoredGlossary:
        state = self._files.get(name)
        if state is None or state.stored is None:
            known = [n for n, s in sorted(self._files.items()) if s.stored]
            raise UnknownGlossaryError(name, known)
        return state.stored

    # -- writing ---------------------------------------------------------------------------

    def put(self, glossary: Glossary, expected_version: int = 0) -> StoredGlossary:
        """Validates and stores `glossary` (its version is ignored) as the next version."""
        problems = validate_glossary(replace(glossary, version=None), "PutGlossary")
        if problems:
            raise GlossaryError(problems)
        with self._lock:
            version = self._next_version(glossary.name, expected_version)
            self._write(glossary.name, dump_glossary(replace(glossary, version=version)))
            return self._reload(glossary.name)

    def put_yaml(self, text: str, expected_version: int = 0) -> StoredGlossary:
        """Stores a whole YAML file as the next version, keeping its comments."""
        glossary = parse_glossary(text, "PutGlossary yaml")
        with self._lock:
            version = self._next_version(glossary.name, expected_version)
            edited = _with_version(text, version)
            content = edited or dump_glossary(replace(glossary, version=version))
            self._write(glossary.name, content)
            return self._reload(glossary.name)

    def delete(self, name: str, expected_version: int = 0) -> int:
        """Removes the glossary's file; returns the version that was deleted."""
        with self._lock:
            self._refresh(force=True)
            current = self._current(name)
            _check_expected(name, current.version, expected_version)
            try:
                self._path(name).unlink()
            except PermissionError as error:
                raise _read_only(self.directory) from error
            del self._files[name]
            return current.version

    def _next_version(self, name: str, expected_version: int) -> int:
        self._refresh(force=True)
        state = self._files.get(name)
        current = state.stored.version if state and state.stored else 0
        _check_expected(name, current, expected_version)
        return current + 1

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}{SUFFIX}"

    def _write(self, name: str, text: str) -> None:
        """Temp file + fsync + rename: readers see the old file or the new one, whole."""
        try:
            handle, temporary = tempfile.mkstemp(
                dir=self.directory, prefix=f".{name}.", suffix=".tmp"
            )
        except PermissionError as error:
            raise _read_only(self.directory) from error
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, self._path(name))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)

    def _reload(self, name: str) -> StoredGlossary:
        self._load(name, self._path(name))
        return self._current(name)

    # -- noticing edits on disk -----------------------------------------------------------

    def _refresh(self, *, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._last_check < self.check_interval_s:
            return
        self._last_check = now
        on_disk: dict[str, Path] = {}
        for path in self.directory.glob("*" + SUFFIX):
            if NAME_PATTERN.fullmatch(path.stem):
                on_disk[path.stem] = path
        for name in set(self._files) - set(on_disk):
            log.info("glossary %s: file removed, no longer served", name)
            del self._files[name]
        for name, path in on_disk.items():
            self._load(name, path)

    def _load(self, name: str, path: Path) -> None:
        """(Re)loads one file if it changed since it was last read."""
        try:
            signature = _signature(path)
        except FileNotFoundError:
            return  # deleted between listing and reading: the next check drops it
        state = self._files.get(name)
        if state is not None and state.signature == signature:
            return
        previous = state.stored if state else None
        self._files[name] = _FileState(signature, previous)
        try:
            glossary = load_glossary(path)
        except GlossaryError as error:
            serving = f"version {previous.version} keeps serving" if previous else "not served"
            log.warning("glossary file %s rejected (%s):\n%s", path, serving, error)
            return
        if glossary.name != name:
            log.warning(
                "glossary file %s names itself %r: rename the file or fix its name (%s)",
                path, glossary.name, "not served" if previous is None else "old version serves",
            )  # fmt: skip
            return
        version = glossary.version or 1
        if previous is not None and version <= previous.version:
            unchanged = replace(glossary, version=None) == replace(previous.glossary, version=None)
            version = previous.version if unchanged else previous.version + 1
            if version != glossary.version:
                self._record_version(name, path, version)
        update_time = datetime.fromtimestamp(signature[0] / 1e9, tz=UTC)
        self._files[name].stored = StoredGlossary(replace(glossary, version=version), update_time)
        if previous is None or previous.version != version:
            log.info("glossary %s: version %d loaded from %s", name, version, path)

    def _record_version(self, name: str, path: Path, version: int) -> None:
        """Writes a version bumped for an edit on disk back into the file, if it can."""
        try:
            edited = _with_version(path.read_text(encoding="utf-8"), version)
            if edited is None:
                log.warning("glossary %s: cannot place `version: %d` in %s", name, version, path)
                return
            self._write(name, edited)
            self._files[name].signature = _signature(path)
        except (OSError, GlossaryStoreError) as error:
            log.warning(
                "glossary %s: version %d serves, but %s cannot be updated (%s)",
                name, version, path, error,
            )  # fmt: skip


def _signature(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size, status.st_ino


def _with_version(text: str, version: int) -> str | None:
    """`text` with its top-level `version:` set, or None where the layout is not block YAML."""
    if _VERSION_LINE.search(text):
        edited = _VERSION_LINE.sub(f"version: {version}", text, count=1)
    elif match := _NAME_LINE.search(text):
        edited = f"{text[: match.end()]}\nversion: {version}{text[match.end() :]}"
    else:
        return None
    try:
        if parse_glossary(edited, "edited").version == version:
            return edited
    except GlossaryError:
        pass
    return None


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
