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

People may also edit the files directly: the store notices, reloads and versions them
(see :mod:`.glossary_folder`, which this store builds on); the stored versions and the
errors are in :mod:`.glossary_records`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from tarjama.glossary import (
    Glossary,
    GlossaryError,
    Matcher,
    Term,
    dump_glossary,
    parse_glossary,
    validate_glossary,
)
from tarjama.server.stores.glossary_disk import (
    file_signature,
    modified_time,
    remove_file,
    with_version,
)
from tarjama.server.stores.glossary_folder import SUFFIX, GlossaryFolder
from tarjama.server.stores.glossary_records import (
    FileState,
    GlossaryStoreError,
    GlossaryVersion,
    ReadOnlyStoreError,
    StoredGlossary,
    UnknownGlossaryError,
    VersionConflictError,
    check_expected,
    next_serial,
    read_only_error,
    serving,
)

__all__ = [
    "SUFFIX",
    "GlossaryStore",
    "GlossaryStoreError",
    "GlossaryVersion",
    "ReadOnlyStoreError",
    "StoredGlossary",
    "UnknownGlossaryError",
    "VersionConflictError",
]

_MATCHER_CACHE_SIZE = 64


class GlossaryStore(GlossaryFolder):
    """Thread-safe access to the glossary folder; see the module docstring."""

    def __init__(
        self,
        directory: Path,
        *,
        check_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(directory, check_interval_s=check_interval_s, clock=clock)
        self._matchers: OrderedDict[tuple[object, ...], Matcher] = OrderedDict()
        self._matchers_lock = threading.Lock()

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
            return [serving(state) for _, state in sorted(self._files.items()) if state.stored]

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
            if edited := with_version(text, version, label):
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
            check_expected(name, current.version, expected_version)
            self._raise_mark(name, current.version)
            try:
                remove_file(self._path(name))
            except PermissionError as error:
                raise read_only_error(self.directory) from error
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
            check_expected(name, current, expected_version)
            version = max(current, self._marks.get(name, 0)) + 1
            text, glossary = content(version)  # the limits hold for exactly what is written
            # The mark goes first: a crash in between skips a version, never reuses one.
            self._raise_mark(name, version)
            path = self._path(name)
            self._write(path, text)
            signature = file_signature(path)
            stored = StoredGlossary(glossary, modified_time(signature), serial=next_serial())
            self._commit(name, FileState(signature, stored), text)
            return stored
