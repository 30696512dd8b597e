"""`tarjama translate`: Arabic files, folders or standard input to English, via the server.

Inputs are files, folders (every ``*.txt`` directly inside) or ``-`` for standard input
(the default when input is piped). Output goes to standard output, or with --output to a
file (one input) or a folder (one output per input, named ``<stem>.en.<ext>``).

A problem with one input (unreadable, empty, rejected by the server) is reported and the
others are still translated; the exit status is then 1. Problems that would fail every
input (server unreachable, unknown glossary, token needed) stop at once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import json_format

from tarjama.client.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError
from tarjama.client.cli_connect import (
    add_connection_options,
    add_wait_option,
    cli_error,
    connect,
    wait_until_serving,
)
from tarjama.client.errors import Busy, DeadlineExceeded, InvalidRequest, TarjamaError
from tarjama.client.html_report import render_html
from tarjama.client.translator import Translator
from tarjama.glossary import Term, contains_arabic_letter, validate_terms
from tarjama.results import Translation
from tarjama.wire import translation_to_proto

FORMATS = ("text", "json", "tsv", "html")
SUFFIXES = {"text": ".en.txt", "json": ".json", "tsv": ".tsv", "html": ".html"}
STDIN = "-"
MAX_REQUEST_ID = 128
BUSY_RETRIES = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "translate",
        help="translate Arabic files, folders or standard input into English",
        description=(
            "Translate Arabic text with the tarjama server. INPUT is a UTF-8 file, a folder "
            "(every .txt in it) or - for standard input (the default when input is piped)."
        ),
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="file, folder, or -")
    parser.add_argument(
        "--glossary",
        "-g",
        action="append",
        default=[],
        metavar="NAME",
        help="server glossary to apply (repeat; earlier ones win); default: the server's",
    )
    parser.add_argument(
        "--no-default-glossaries",
        action="store_true",
        help="apply no server glossary unless named with --glossary",
    )
    parser.add_argument(
        "--term",
        "-t",
        action="append",
        default=[],
        metavar="ARABIC=ENGLISH",
        help="a term for this run only, e.g. 'جبهة النصرة=Nusra Front' (repeat)",
    )
    parser.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default="text",
        help="text: the translation; json: the full response (JSON lines for several "
        "inputs); tsv: sentence pairs; html: a side-by-side page",
    )
    parser.add_argument(
        "--alignment", action="store_true", help="include word alignments (json, html)"
    )
    parser.add_argument("--beam", type=int, default=0, metavar="N", help="beam width (1-16)")
    parser.add_argument(
        "--output", "-o", type=Path, metavar="PATH", help="output file, or folder for several"
    )
    add_connection_options(parser)
    add_wait_option(parser)
    parser.set_defaults(func=run_translate)


class InputError(CliError):
    """A problem with one input alone: reported, and the other inputs still translated."""


@dataclass(frozen=True)
class Job:
    """One input and where its translation goes (None: standard output)."""

    name: str  # as the person wrote it; also the request id
    path: Path | None  # None: standard input
    output: Path | None


def run_translate(args: argparse.Namespace) -> int:
    terms = parse_terms(args.term)
    if not 0 <= args.beam <= 16:
        raise CliError(f"--beam {args.beam} is out of range: use 1 to 16", EXIT_USAGE)
    jobs = plan_jobs(args.inputs, args.output, args.format)
    output = Output(args.format, jobs)
    several = len(jobs) > 1
    progress = Progress(len(jobs)) if several and sys.stderr.isatty() else None
    failures = 0
    try:
        with connect(args) as translator:
            wait_until_serving(translator, args)
            for number, job in enumerate(jobs, start=1):
                if progress:
                    progress.show(number, job.name)
                try:
                    text = read_input(job)
                    translation = translate_one(translator, text, job, terms, args)
                except InputError as error:
                    failures += 1
                    if progress:
                        progress.clear()
                    print(f"tarjama: error: {error}", file=sys.stderr)
                    continue
                output.write(job, text, translation)
    finally:
        if progress:
            progress.clear()  # so an error message starts on a clean line
    if failures and several:
        print(f"tarjama: {failures} of {len(jobs)} inputs failed", file=sys.stderr)
    return EXIT_FAILURE if failures else EXIT_OK


def parse_terms(arguments: list[str]) -> tuple[Term, ...]:
    """--term 'ARABIC=ENGLISH' arguments as Terms, checked like a glossary's."""
    terms = []
    for argument in arguments:
        arabic, equals, english = argument.partition("=")
        arabic, english = arabic.strip(), english.strip()
        if not equals or not arabic or not english:
            raise CliError(
                f"bad --term {argument!r}: write ARABIC=ENGLISH, "
                "e.g. --term 'جبهة النصرة=Nusra Front'",
                EXIT_USAGE,
            )
        if not contains_arabic_letter(arabic) and contains_arabic_letter(english):
            raise CliError(
                f"bad --term {argument!r}: the Arabic goes first: --term '{english}={arabic}'",
                EXIT_USAGE,
            )
        terms.append(Term(sources=(arabic,), target=english))
    problems = validate_terms(terms, "--term")
    if problems:
        raise CliError(f"bad {problems[0]}", EXIT_USAGE)
    return tuple(terms)


def plan_jobs(inputs: list[str], output: Path | None, output_format: str) -> list[Job]:
    """Expands folders, and decides where each input's translation is written."""
    if not inputs:
        if sys.stdin.isatty():
            raise CliError(
                "no input: give a file or folder, or pipe text in "
                "(e.g. `tarjama translate < article.txt`)",
                EXIT_USAGE,
            )
        inputs = [STDIN]
    sources: list[tuple[str, Path | None]] = []
    for argument in inputs:
        path = None if argument == STDIN else Path(argument)
        if path is not None and path.is_dir():
            files = sorted(p for p in path.glob("*.txt") if p.is_file())
            if not files:
                raise CliError(f"folder {argument} has no .txt files to translate", EXIT_USAGE)
            sources.extend((str(file), file) for file in files)
        else:
            sources.append((argument, path))
    if [name for name, _ in sources].count(STDIN) > 1:
        raise CliError("standard input (-) can be read only once", EXIT_USAGE)
    several = len(sources) > 1 or any(Path(a).is_dir() for a in inputs if a != STDIN)
    if output is None:
        if output_format == "html" and len(sources) > 1:
            raise CliError(
                "--format html writes one page per input: pass --output FOLDER", EXIT_USAGE
            )
        return [Job(name, path, None) for name, path in sources]
    if not several and not output.is_dir():
        return [Job(sources[0][0], sources[0][1], output)]
    if output.exists() and not output.is_dir():
        raise CliError(f"--output {output} is a file: name a folder for several inputs", EXIT_USAGE)
    jobs = []
    seen: dict[Path, str] = {}
    for name, path in sources:
        target = output / ((path.stem if path else "stdin") + SUFFIXES[output_format])
        if target in seen:
            raise CliError(
                f"{seen[target]} and {name} would both be written to {target}: "
                "translate them in separate runs",
                EXIT_USAGE,
            )
        seen[target] = name
        jobs.append(Job(name, path, target))
    return jobs


def read_input(job: Job) -> str:
    where = "standard input" if job.path is None else job.name
    try:
        data = sys.stdin.buffer.read() if job.path is None else job.path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {where}: {error.strerror or error}") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{where} is not valid UTF-8 (byte {error.start}): convert it to UTF-8 first"
        ) from error
    if not text.strip():
        raise InputError(f"{where} is empty: nothing to translate")
    return text


def translate_one(
    translator: Translator, text: str, job: Job, terms: tuple[Term, ...], args: argparse.Namespace
) -> Translation:
    """Translates one input; waits as asked and tries again while the server is busy."""
    for attempt in range(BUSY_RETRIES + 1):
        try:
            return translator.translate(
                text,
                glossaries=args.glossary,
                terms=terms,
                beam_size=args.beam,
                alignment=args.alignment,
                no_default_glossaries=args.no_default_glossaries,
                request_id=job.name[-MAX_REQUEST_ID:],
            )
        except Busy as error:
            if attempt == BUSY_RETRIES:
                raise cli_error(error, args) from error
            time.sleep((error.retry_after_ms or 1000) / 1000)
        except (InvalidRequest, DeadlineExceeded) as error:
            # About this input alone: say which, and go on with the others.
            raise InputError(f"{job.name}: {cli_error(error, args)}") from error
        except TarjamaError as error:
            raise cli_error(error, args) from error
    raise AssertionError("unreachable: the loop returns or raises")


class Output:
    """Writes each translation in the chosen format, to its file or to standard output."""

    def __init__(self, output_format: str, jobs: list[Job]) -> None:
        self.format = output_format
        # Several inputs sharing standard output need telling apart.
        self.label_inputs = sum(job.output is None for job in jobs) > 1
        self.stdout_header_done = False

    def write(self, job: Job, text: str, translation: Translation) -> None:
        if job.output is None:
            sys.stdout.write(self.render(job, text, translation))
            sys.stdout.flush()
            return
        content = self.render(job, text, translation)
        try:
            job.output.parent.mkdir(parents=True, exist_ok=True)
            job.output.write_text(content, encoding="utf-8")
        except OSError as error:
            raise CliError(
                f"cannot write {job.output}: {error.strerror or error}", EXIT_USAGE
            ) from error

    def render(self, job: Job, text: str, translation: Translation) -> str:
        label = self.label_inputs and job.output is None
        if self.format == "json":
            return render_json(translation)
        if self.format == "html":
            return render_html(text, translation, title=job.path.name if job.path else "stdin")
        if self.format == "tsv":
            header = not (job.output is None and self.stdout_header_done)
            self.stdout_header_done |= job.output is None
            return render_tsv(translation, job.name if label else None, header=header)
        heading = f"==> {job.name} <==\n" if label else ""
        return heading + translation.translation.rstrip("\n") + "\n"


def render_json(translation: Translation) -> str:
    """The TranslateResponse in protobuf's JSON mapping, proto field names, one line."""
    document = json_format.MessageToDict(
        translation_to_proto(translation),
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    return json.dumps(document, ensure_ascii=False) + "\n"


def render_tsv(translation: Translation, file_label: str | None, *, header: bool) -> str:
    """One row per sentence pair; a first column names the input when several share it."""
    prefix = [] if file_label is None else [_cell(file_label)]
    columns = (
        ["sentence", "source", "target"]
        if file_label is None
        else ["file", "sentence", "source", "target"]
    )
    rows = [columns] if header else []
    rows += [
        [*prefix, str(number), _cell(pair.source), _cell(pair.target)]
        for number, pair in enumerate(translation.sentences, start=1)
    ]
    return "".join("\t".join(row) + "\n" for row in rows)


def _cell(value: str) -> str:
    return " ".join(value.split())  # tabs and line breaks would break the columns


class Progress:
    """A one-line "[3/12] name" on a terminal's standard error, redrawn in place."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.width = 0

    def show(self, number: int, name: str) -> None:
        line = f"[{number}/{self.total}] translating {name}"
        sys.stderr.write("\r" + line.ljust(self.width))
        sys.stderr.flush()
        self.width = len(line)

    def clear(self) -> None:
        sys.stderr.write("\r" + " " * self.width + "\r")
        sys.stderr.flush()
