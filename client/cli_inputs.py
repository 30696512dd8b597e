"""What `tarjama translate` reads, and where each translation goes.

Inputs are files, folders (every document file inside, recursively, in name order) or
``-`` for standard input. With ``--output``: one input and a path that is not a folder
writes that file; otherwise the path is a folder and each input's translation goes
beside where it sits under the folder it was found in (the input tree is mirrored), as
``<stem><suffix>``. With ``--jsonl`` each input is JSON Lines, one document per line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tarjama.client.cli import EXIT_USAGE, CliError

STDIN = "-"
DOCUMENT_SUFFIXES = (".txt", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
HTML = "text/html"
# How a whole HTML document starts; a fragment on standard input needs --mime-type.
HTML_STARTS = ("<!doctype html", "<html")
SUFFIXES = {"text": ".en.txt", "json": ".json", "tsv": ".tsv", "html": ".html"}
JSONL_SUFFIX = ".jsonl"
MAX_REQUEST_ID = 128
MAX_SHOWN = 200  # characters of a bad line quoted in an error


class InputError(CliError):
    """A problem with one input alone: reported, and the other inputs still translated."""


@dataclass(frozen=True)
class Job:
    """One input file (or standard input) and where its translation goes (None: stdout)."""

    name: str  # as the person wrote it, or its path under a folder they named
    path: Path | None  # None: standard input
    output: Path | None


@dataclass(frozen=True)
class Document:
    """One document to translate: a whole file, or one line of a JSON Lines input."""

    job: Job
    text: str
    request_id: str
    glossaries: tuple[str, ...] | None = None  # None: the command line's
    options: dict[str, Any] = field(default_factory=dict)  # TranslateOptions fields
    error: str = ""  # the line could not be read; reported in its place
    mime_type: str = ""  # "": by the file's extension (or the command line's --mime-type)


def plan_jobs(
    inputs: list[str], output: Path | None, output_format: str, *, jsonl: bool
) -> list[Job]:
    """Expands folders, and decides where each input's translation is written."""
    if not inputs:
        if sys.stdin.isatty():
            raise CliError(
                "no input: give a file or folder, or pipe text in "
                "(e.g. `tarjama translate < article.txt`)",
                EXIT_USAGE,
            )
        inputs = [STDIN]
    suffixes = (JSONL_SUFFIX,) if jsonl else DOCUMENT_SUFFIXES
    sources: list[tuple[str, Path | None, Path]] = []  # name, path, path under its folder
    for argument in inputs:
        path = None if argument == STDIN else Path(argument)
        if path is not None and path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in suffixes)
            if not files:
                kinds = (
                    " or ".join(suffixes)
                    if len(suffixes) < 3
                    else (", ".join(suffixes[:-1]) + " or " + suffixes[-1])
                )
                raise CliError(f"folder {argument} has no {kinds} files to translate", EXIT_USAGE)
            sources.extend((str(file), file, file.relative_to(path)) for file in files)
        else:
            sources.append((argument, path, Path(path.name if path else "stdin")))
    if [name for name, _, _ in sources].count(STDIN) > 1:
        raise CliError("standard input (-) can be read only once", EXIT_USAGE)
    several = len(sources) > 1 or any(Path(a).is_dir() for a in inputs if a != STDIN)
    if output is None:
        if output_format == "html" and several:
            raise CliError(
                "--format html writes one page per input: pass --output FOLDER", EXIT_USAGE
            )
        return [Job(name, path, None) for name, path, _ in sources]
    if not several and not output.is_dir():
        return [Job(sources[0][0], sources[0][1], output)]
    if output.exists() and not output.is_dir():
        raise CliError(f"--output {output} is a file: name a folder for several inputs", EXIT_USAGE)
    suffix = JSONL_SUFFIX if jsonl else SUFFIXES[output_format]
    jobs = []
    seen: dict[Path, str] = {}
    for name, path, relative in sources:
        stem = relative.with_suffix("") if relative.suffix else relative
        # A page translated as text is a page again.
        own = ".en" + relative.suffix if relative.suffix in HTML_SUFFIXES else suffix
        target = output / stem.parent / (stem.name + (own if output_format == "text" else suffix))
        if target in seen:
            raise CliError(
                f"{seen[target]} and {name} would both be written to {target}: "
                "translate them in separate runs",
                EXIT_USAGE,
            )
        seen[target] = name
        jobs.append(Job(name, path, target))
    return jobs


def read_text(job: Job) -> str:
    where = "standard input" if job.path is None else job.name
    try:
        data = sys.stdin.buffer.read() if job.path is None else job.path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {where}: {error.strerror or error}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{where} is not valid UTF-8 (byte {error.start}): convert it to UTF-8 first"
        ) from error


def read_document(job: Job) -> Document:
    text = read_text(job)
    if not text.strip():
        where = "standard input" if job.path is None else job.name
        raise InputError(f"{where} is empty: nothing to translate")
    if job.path is None:  # no extension to go by: a whole page says what it is
        html = text.lstrip()[:15].lower().startswith(HTML_STARTS)
    else:
        html = job.path.suffix.lower() in HTML_SUFFIXES
    return Document(job, text, job.name[-MAX_REQUEST_ID:], mime_type=HTML if html else "")


def read_jsonl(job: Job) -> Iterator[Document]:
    """One document per line: ``{"id": …, "text": …}`` with optional ``glossaries`` (a list
    of names) and ``options`` (TranslateOptions fields). A bad line becomes a document with
    its error, so the job goes on."""
    for number, line in enumerate(read_text(job).splitlines(), start=1):
        if not line.strip():
            continue
        fallback_id = f"{job.name}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield _bad(job, fallback_id, f"line {number} is not JSON ({error.msg})")
            continue
        if not isinstance(record, dict):
            yield _bad(job, fallback_id, f"line {number} is not a JSON object")
            continue
        identifier = record.get("id", fallback_id)
        problem = _record_problem(record)
        if problem:
            yield _bad(job, str(identifier), f"line {number}: {problem}")
            continue
        glossaries = record.get("glossaries")
        yield Document(
            job,
            record["text"],
            str(identifier)[-MAX_REQUEST_ID:],
            tuple(glossaries) if glossaries is not None else None,
            dict(record.get("options") or {}),
            mime_type=str(record.get("mime_type") or ""),
        )


def _record_problem(record: dict[str, Any]) -> str:
    if not isinstance(record.get("text"), str) or not record["text"].strip():
        return 'needs "text": the Arabic document as a non-empty string'
    glossaries = record.get("glossaries")
    if glossaries is not None and not (
        isinstance(glossaries, list) and all(isinstance(name, str) for name in glossaries)
    ):
        return '"glossaries" must be a list of glossary names'
    options = record.get("options")
    if options is not None and not isinstance(options, dict):
        return '"options" must be an object of TranslateOptions fields'
    return ""


def _bad(job: Job, identifier: str, problem: str) -> Document:
    return Document(job, "", identifier[:MAX_SHOWN], error=f"{job.name}: {problem[:MAX_SHOWN]}")
