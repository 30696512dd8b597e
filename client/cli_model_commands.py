"""The `tarjama model` commands: fetch, import, list, verify and choose the model."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from tarjama.client.cli import EXIT_FAILURE, EXIT_OK, CliError
from tarjama.server.stores.download import DownloadProgress
from tarjama.server.stores.models import (
    InstalledModel,
    ModelStore,
    ModelStoreError,
)

MIB = 1024 * 1024
PLAIN_STEP_PERCENT = 10  # without a terminal, one line per this much progress
PLAIN_STEP_BYTES = 10 * MIB  # ... or per this many bytes when the size is unknown


class ProgressPrinter:
    """A download bar (rich: size, speed, time left) on a terminal; a plain line every 10 %
    on anything else. Steps (verifying, converting, installing) print as lines of their own."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.interactive = stream.isatty()
        self._last_mark = -1
        self._announced_resume = False
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, progress: DownloadProgress) -> None:
        if progress.resumed_from and not self._announced_resume:
            self._announced_resume = True
            self.line(f"resuming at {progress.resumed_from / MIB:.1f} MiB")
        if self.interactive:
            self._draw(progress)
            return
        done = f"{progress.done / MIB:.1f}"
        if progress.total:
            percent = min(100, progress.done * 100 // progress.total)
            amount = f"{percent:3d}% {done} of {progress.total / MIB:.1f} MiB"
            mark = percent // PLAIN_STEP_PERCENT
        else:
            amount = f"{done} MiB"
            mark = progress.done // PLAIN_STEP_BYTES
        if mark != self._last_mark:
            self._last_mark = mark
            self.line(f"downloaded {amount}")

    def line(self, text: str) -> None:
        self.finish()
        print(text, file=self.stream, flush=True)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _draw(self, progress: DownloadProgress) -> None:
        if self._bar is None:
            self._bar = Progress(
                TextColumn("  downloading"),
                BarColumn(),
                DownloadColumn(binary_units=True),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream, force_terminal=True),
            )
            self._task = self._bar.add_task("", total=progress.total)
            self._bar.start()
        assert self._task is not None
        self._bar.update(self._task, completed=progress.done, total=progress.total)


def _store() -> ModelStore:
    return ModelStore.from_environment()


def _step(message: str) -> None:
    print(f"{message} ...", file=sys.stderr, flush=True)


def _installed_line(model: InstalledModel) -> str:
    default = " (default)" if model.is_default else ""
    return f"installed {model.name}{default} at {model.path}"


def fetch_with_progress(
    store: ModelStore,
    name: str,
    *,
    base_url: str | None = None,
    sha256: str | None = None,
    force: bool = False,
    on_status: Callable[[str], None] | None = None,
) -> InstalledModel:
    """``store.fetch`` with a progress bar and steps on stderr; CliError on failure.
    ``on_status`` hears each step and the download's percentage in a few words."""
    printer = ProgressPrinter(sys.stderr)
    say = on_status or (lambda doing: None)

    def step(message: str) -> None:
        printer.line(f"{message} ...")
        say(message)

    def progress(report: DownloadProgress) -> None:
        printer(report)
        share = (
            f"{report.done * 100 // report.total} %" if report.total else f"{report.done >> 20} MiB"
        )
        say(f"fetching {name}: {share}")

    try:
        return store.fetch(
            name, base_url=base_url, sha256=sha256, force=force, progress=progress, on_step=step
        )
    except ModelStoreError as error:
        raise CliError(str(error), EXIT_FAILURE) from error
    finally:
        printer.finish()


def _fetch(args: argparse.Namespace) -> int:
    model = fetch_with_progress(
        _store(), args.name, base_url=args.base_url, sha256=args.sha256, force=args.force
    )
    print(_installed_line(model))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    try:
        model = _store().import_model(
            Path(args.path), name=args.name, force=args.force, sha256=args.sha256, on_step=_step
        )
    except ModelStoreError as error:
        raise CliError(str(error), EXIT_FAILURE) from error
    print(_installed_line(model))
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    store = _store()
    models = store.list_models()
    if args.json:
        records = [
            {
                "name": model.name,
                "default": model.is_default,
                "path": str(model.path),
                "size_bytes": model.size_bytes,
                "source_url": model.manifest.source_url,
                "archive_sha256": model.manifest.archive_sha256,
                "quantization": model.manifest.quantization,
                "created": model.manifest.created,
            }
            for model in models
        ]
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not models:
        print(
            f"no models installed in {store.home}; run `tarjama model fetch`, or "
            "`tarjama model import PATH` on an offline machine",
            file=sys.stderr,
        )
        return EXIT_OK
    rows = [
        (
            "*" if model.is_default else " ",
            model.name,
            f"{model.size_bytes / MIB:.1f} MiB",
            model.manifest.source_url or "local import",
            model.manifest.created,
        )
        for model in models
    ]
    header = (" ", "NAME", "SIZE", "SOURCE", "CREATED")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    try:
        result = _store().verify(args.name)
    except ModelStoreError as error:
        raise CliError(str(error), EXIT_FAILURE) from error
    if result.ok:
        print(f"{result.name}: OK (files match the manifest; CTranslate2 loads the model)")
        return EXIT_OK
    for problem in result.problems:
        print(f"{result.name}: {problem}", file=sys.stderr)
    raise CliError(
        f"model {result.name!r} failed verification; reinstall it with `tarjama model fetch "
        f"{result.name} --force` or `tarjama model import PATH --name {result.name} --force`",
        EXIT_FAILURE,
    )


def _default(args: argparse.Namespace) -> int:
    store = _store()
    try:
        if args.name:
            store.set_default(args.name)
        name = store.model_path(None).name
    except ModelStoreError as error:
        raise CliError(str(error), EXIT_FAILURE) from error
    print(name)
    return EXIT_OK
