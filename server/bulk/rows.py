"""Documents in, one result row per document out, so that a rerun picks up where it stopped.

Input rows: ``id`` (string), ``text``, optional ``glossaries`` (list of names; without it
the server's default glossaries, with an empty list none) and ``mime_type``
(``text/plain``, the default, or ``text/html``); JSON Lines (``.jsonl``) or Parquet
(``.parquet``, needs pyarrow). A row meets the server's checks and limits, with its
messages (see :mod:`.local`). Output rows: ``id``, ``ok``, ``error`` (what went wrong,
for a failed row), ``translation``, ``sentences``, ``term_hits`` and ``response``: the
TranslateResponse the server would give, in protobuf's JSON mapping (spans, term hits,
scores). An output ending in ``.jsonl`` is one JSON Lines file appended to; any other is
a folder of Parquet parts (``part-00000.parquet`` …), one per chunk of rows written.
Either way the ids already written are skipped by the next run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

OUTPUT_COLUMNS = ("id", "ok", "error", "translation", "sentences", "term_hits", "response")
MAX_ERROR = 500  # characters of an error kept in a row


class BulkInputError(Exception):
    """An input cannot be read at all (one bad row is a failed row instead)."""


def read_rows(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Every input row, in order; a row without a usable id is numbered ``<file>:<n>``."""
    for path in paths:
        if path.suffix == ".parquet":
            rows: Iterable[dict[str, Any]] = _parquet_rows(path)
        elif path.suffix in (".jsonl", ".json"):
            rows = _jsonl_rows(path)
        else:
            raise BulkInputError(f"{path}: use .jsonl or .parquet input")
        for number, row in enumerate(rows, start=1):
            identifier = row.get("id")
            row["id"] = str(identifier) if identifier not in (None, "") else f"{path}:{number}"
            yield row


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        stream = path.open(encoding="utf-8")
    except OSError as error:
        raise BulkInputError(f"cannot read {path}: {error.strerror or error}") from error
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            yield (
                row if isinstance(row, dict) else {"_error": f"line {number} is not a JSON object"}
            )


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    pyarrow_parquet = _pyarrow_parquet()
    try:
        parquet = pyarrow_parquet.ParquetFile(path)
    except (OSError, ValueError) as error:
        raise BulkInputError(f"cannot read {path} as Parquet: {error}") from error
    for batch in parquet.iter_batches(batch_size=1024):
        yield from batch.to_pylist()


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet
    except ImportError:
        raise BulkInputError(
            "Parquet needs pyarrow: pip install 'tarjama[batch]' (or use .jsonl)"
        ) from None
    return pyarrow.parquet


def row_problem(row: dict[str, Any]) -> str:
    """Why a row cannot be translated, or ""."""
    if "_error" in row:
        return str(row["_error"])
    if not isinstance(row.get("text"), str) or not row["text"].strip():
        return 'needs "text": the Arabic document as a non-empty string'
    glossaries = row.get("glossaries")
    if glossaries is not None and not (
        isinstance(glossaries, list | tuple) and all(isinstance(g, str) for g in glossaries)
    ):
        return '"glossaries" must be a list of glossary names'
    if not isinstance(row.get("mime_type") or "", str):
        return '"mime_type" must be text: text/plain or text/html'
    return ""


def failed_row(identifier: str, error: str) -> dict[str, Any]:
    return {
        "id": identifier,
        "ok": False,
        "error": error[:MAX_ERROR],
        "translation": "",
        "sentences": 0,
        "term_hits": 0,
        "response": "",
    }


def done_ids(output: Path) -> set[str]:
    """The ids an earlier run of the job already wrote to ``output``."""
    if output.suffix == ".jsonl":
        if not output.exists():
            return set()
        ids = set()
        with output.open(encoding="utf-8") as stream:
            for line in stream:
                try:
                    ids.add(str(json.loads(line)["id"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash: its document is done again
        return ids
    if not output.is_dir():
        return set()
    pyarrow_parquet = _pyarrow_parquet()
    ids = set()
    for part in sorted(output.glob("part-*.parquet")):
        table = pyarrow_parquet.read_table(part, columns=["id"])
        ids.update(str(value) for value in table.column("id").to_pylist())
    return ids


class Sink:
    """Where result rows go: appended to a JSON Lines file or written as Parquet parts."""

    def __init__(self, output: Path, rows_per_part: int = 1000) -> None:
        self.output = output
        self.rows_per_part = rows_per_part
        self._pending: list[dict[str, Any]] = []
        self._jsonl = output.suffix == ".jsonl"
        if self._jsonl:
            output.parent.mkdir(parents=True, exist_ok=True)
            self._stream = output.open("a", encoding="utf-8")
        else:
            _pyarrow_parquet()
            output.mkdir(parents=True, exist_ok=True)
            self._next_part = len(list(output.glob("part-*.parquet")))

    def write(self, row: dict[str, Any]) -> None:
        if self._jsonl:
            self._stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            self._stream.flush()  # a crash loses at most the line being written
            return
        self._pending.append(row)
        if len(self._pending) >= self.rows_per_part:
            self._flush_part()

    def close(self) -> None:
        if self._jsonl:
            self._stream.close()
        elif self._pending:
            self._flush_part()

    def _flush_part(self) -> None:
        import pyarrow

        table = pyarrow.Table.from_pylist(self._pending, schema=_schema())
        final = self.output / f"part-{self._next_part:05d}.parquet"
        partial = final.with_suffix(".parquet.tmp")
        _pyarrow_parquet().write_table(table, partial)
        partial.replace(final)  # a part is there whole or not at all
        self._next_part += 1
        self._pending = []


def _schema() -> Any:
    import pyarrow

    return pyarrow.schema(
        [
            ("id", pyarrow.string()),
            ("ok", pyarrow.bool_()),
            ("error", pyarrow.string()),
            ("translation", pyarrow.string()),
            ("sentences", pyarrow.int64()),
            ("term_hits", pyarrow.int64()),
            ("response", pyarrow.string()),
        ]
    )
