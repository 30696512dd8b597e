"""The feedback of a long `tarjama translate`: one progress display, then a summary.

On a terminal, one live line (rich) for the whole job: documents and sentences done of
the total, the rate and the time left. When standard error is not a terminal, a plain
line every ``PLAIN_EVERY_S`` seconds instead. The summary at the end says what was done
and what failed; ``--quiet`` silences both.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tarjama.client.cli import counted
from tarjama.results import Translation

PLAIN_EVERY_S = 10.0


@dataclass
class Tally:
    documents: int = 0
    failed: int = 0
    sentences: int = 0
    cached: int = 0
    terms_applied: int = 0
    terms_skipped: int = 0

    def add(self, translation: Translation) -> None:
        self.add_counts(
            sentences=translation.stats.sentences,
            cached=translation.stats.cached_sentences,
            applied=translation.stats.term_hits,
            skipped=sum(len(pair.skipped_terms) for pair in translation.sentences),
        )

    def add_counts(self, *, sentences: int, cached: int, applied: int, skipped: int) -> None:
        self.documents += 1
        self.sentences += sentences
        self.cached += cached
        self.terms_applied += applied
        self.terms_skipped += skipped


class JobProgress:
    """Progress of documents and of their sentences; workers report from their threads."""

    def __init__(self, documents: int, *, quiet: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.interactive = self.stream.isatty()
        self.total_documents = documents
        self.total_sentences = 0
        self.done_sentences = 0
        self.tally = Tally()
        self.started = time.monotonic()
        self._last_plain = self.started
        self._live: Progress | None = None
        self._lock = threading.Lock()
        if self.interactive and not quiet:
            self._live = Progress(
                TextColumn("translating"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[documents]}"),
                MofNCompleteColumn(),
                TextColumn("sentences"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream, force_terminal=True),
                transient=True,
            )
            self._task = self._live.add_task("", total=None, documents="", rate="")
            self._live.start()

    def expect(self, sentences: int) -> None:
        """A document of about ``sentences`` sentences joined the job."""
        with self._lock:
            self.total_sentences += sentences
            self._show()

    def sentences_done(self, count: int) -> None:
        with self._lock:
            self.done_sentences += count
            self._show()

    def document_done(self, translation: Translation | None) -> None:
        with self._lock:
            if translation is None:
                self.tally.failed += 1
            else:
                self.tally.add(translation)
            self._show()

    def row_done(self, *, ok: bool, sentences: int, terms: int) -> None:
        """A document of a bulk job, known by its result row's counts."""
        with self._lock:
            if ok:
                self.tally.add_counts(sentences=sentences, cached=0, applied=terms, skipped=0)
                self.done_sentences += sentences
            else:
                self.tally.failed += 1
            self._show()

    def print(self, message: str) -> None:
        """A line (an error) that must not be drawn over."""
        if self._live is not None:
            self._live.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=self.stream, flush=True)

    def finish(self, *, summary: bool) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if summary and not self.quiet:
            print(self.summary(), file=self.stream, flush=True)

    def summary(self) -> str:
        tally = self.tally
        elapsed = time.monotonic() - self.started
        rate = tally.sentences / elapsed if elapsed > 0 else 0.0
        failed = f", {tally.failed} failed" if tally.failed else ""
        return (
            f"tarjama: {tally.documents} of {self.total_documents} documents translated"
            f"{failed}; {counted(tally.sentences, 'sentence')} ({tally.cached} from the cache), "
            f"{counted(tally.terms_applied, 'glossary term')} applied, {tally.terms_skipped} "
            "skipped, "
            f"in {elapsed:.1f} s "
            f"({rate:.1f} sentences/s)"
        )

    def _show(self) -> None:
        done_documents = self.tally.documents + self.tally.failed
        elapsed = time.monotonic() - self.started
        rate = self.done_sentences / elapsed if elapsed > 0 else 0.0
        if self._live is not None:
            self._live.update(
                self._task,
                completed=self.done_sentences,
                total=max(self.total_sentences, self.done_sentences) or None,
                documents=f"{done_documents}/{self.total_documents} documents,",
                rate=f"{rate:.1f}/s",
            )
        elif not self.quiet and time.monotonic() - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = time.monotonic()
            print(
                f"tarjama: {done_documents}/{self.total_documents} documents, "
                f"{self.done_sentences}/{self.total_sentences} sentences, {rate:.1f}/s",
                file=self.stream,
                flush=True,
            )
