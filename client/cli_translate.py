"""`tarjama translate`: Arabic files, folders or standard input to English, via the server.

Several documents are translated concurrently (``--jobs`` in flight), so the server can
batch sentences across them; each document of any length goes through
:meth:`Translator.translate_document`. Output order and file names do not depend on
which document finishes first (see :mod:`tarjama.client.cli_inputs` for where output
goes). A problem with one input (unreadable, empty, rejected by the server) is reported
and the others are still translated; the exit status is then 1. Problems that would fail
every input (server unreachable, token needed) stop at once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from tarjama.client.calls import TranslateOptions
from tarjama.client.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError
from tarjama.client.cli_connect import (
    add_connection_options,
    add_wait_option,
    cli_error,
    connect,
    wait_until_serving,
)
from tarjama.client.cli_inputs import (
    HTML,
    Document,
    InputError,
    Job,
    plan_jobs,
    read_document,
    read_jsonl,
)
from tarjama.client.cli_local import local_translator
from tarjama.client.cli_output import Output, flagged_only, response_dict
from tarjama.client.cli_progress import JobProgress
from tarjama.client.documents import page_sentences, plan_pieces, planned_sentences
from tarjama.client.errors import Busy, NotFound, ServerUnavailable, TarjamaError, Unauthenticated
from tarjama.client.translator import Translator
from tarjama.glossary import Term, contains_arabic_letter, validate_terms
from tarjama.results import Translation

FORMATS = ("text", "json", "tsv", "html")
BUSY_RETRIES = 3
DEFAULT_JOBS = 4
# Errors about the whole run rather than one document: they stop it. An unknown glossary
# named on the command line fails every file alike; in JSON Lines each line names its own.
FATAL = (ServerUnavailable, Unauthenticated, Busy)
FATAL_FOR_FILES = (*FATAL, NotFound)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "translate",
        help="translate Arabic files, folders or standard input into English",
        description=(
            "Translate Arabic text with the tarjama server. INPUT is a UTF-8 file, a folder "
            "(every .txt, .html and .htm in it and below) or - for standard input (the "
            "default when input is piped). Documents of any length are sent in pieces under "
            "the server's limits; pages come back as pages."
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
        "--no-document-terms",
        action="store_true",
        help="leave a name the model writes two ways in a document as it wrote it, instead "
        "of giving the document one rendering (method 'document')",
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
        "--jsonl",
        action="store_true",
        help='inputs are JSON Lines, one document per line: {"id": …, "text": …} with '
        'optional "glossaries" and "options"; one response per line out, with its id, '
        'or {"id": …, "error": {…}} for a line that failed',
    )
    parser.add_argument(
        "--alignment", action="store_true", help="include word alignments (json, html)"
    )
    parser.add_argument(
        "--review-only",
        action="store_true",
        help="only the sentence pairs that need review (low confidence, a term not copied, …)",
    )
    parser.add_argument("--beam", type=int, default=0, metavar="N", help="beam width (1-16)")
    parser.add_argument(
        "--output",
        "--out",
        "-o",
        type=Path,
        metavar="PATH",
        help="output file, or folder for several inputs (mirrors the input folders)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=DEFAULT_JOBS,
        metavar="N",
        help=f"documents translated at the same time (default {DEFAULT_JOBS})",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress display and no summary"
    )
    parser.add_argument(
        "--mime-type",
        choices=("text/plain", "text/html"),
        help="what the inputs are (default: text/html for .html and .htm files and for "
        "standard input that starts with <!DOCTYPE html> or <html>, else text/plain); a "
        "page comes back as a page, its markup kept",
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="no server: run the same pipeline in this process with an installed model",
    )
    parser.add_argument(
        "--model",
        metavar="PATH|NAME",
        help="with --local: the model (default: the model store's default)",
    )
    add_connection_options(parser)
    add_wait_option(parser)
    parser.set_defaults(func=run_translate)


def run_translate(args: argparse.Namespace) -> int:
    terms = parse_terms(args.term)
    if not 0 <= args.beam <= 16:
        raise CliError(f"--beam {args.beam} is out of range: use 1 to 16", EXIT_USAGE)
    if args.jobs < 1:
        raise CliError(f"--jobs {args.jobs} is out of range: use 1 or more", EXIT_USAGE)
    jobs = plan_jobs(args.inputs, args.output, args.format, jsonl=args.jsonl)
    documents = _jsonl_documents(jobs) if args.jsonl else (_file_document(job) for job in jobs)
    total = _count_lines(jobs) if args.jsonl else len(jobs)
    write = (
        JsonlWriter(review_only=args.review_only)
        if args.jsonl
        else FileWriter(Output(args.format, jobs, review_only=args.review_only))
    )
    if args.model and not args.local:
        raise CliError("--model goes with --local: a server serves its own model", EXIT_USAGE)
    with ExitStack() as cleanup:
        cleanup.callback(write.close)
        if args.local:
            translator = cleanup.enter_context(local_translator(args))
        else:
            translator = cleanup.enter_context(connect(args))
            wait_until_serving(translator, args)
        progress = JobProgress(total, quiet=args.quiet)
        translate = _translator(translator, terms, args, progress)
        try:
            failures = _run(documents, translate, write, progress, args)
        except BaseException:
            progress.finish(summary=False)  # the error says what happened
            raise
        progress.finish(summary=total > 1 or progress.interactive)
    return EXIT_FAILURE if failures else EXIT_OK


Outcome = Translation | TarjamaError | InputError


def _run(
    documents: Iterator[Document | InputError],
    translate: Callable[[Document], Translation],
    write: Any,
    progress: JobProgress,
    args: argparse.Namespace,
) -> int:
    """Translates with ``args.jobs`` documents in flight, writing results in input order."""
    failures = 0
    pending: deque[tuple[Document | InputError, Future[Outcome]]] = deque()

    def finish_oldest() -> None:
        nonlocal failures
        document, future = pending.popleft()
        outcome = future.result()
        if isinstance(outcome, FATAL if args.jsonl else FATAL_FOR_FILES):
            raise cli_error(outcome, args)
        if isinstance(outcome, Translation):
            progress.document_done(outcome)
            write(document, outcome)
            return
        failures += 1
        progress.document_done(None)
        if isinstance(document, Document) and args.jsonl:
            write.error(document, outcome)
            return
        message = outcome if isinstance(outcome, CliError) else cli_error(outcome, args)
        name = document.job.name if isinstance(document, Document) else ""
        prefix = f"{name}: " if name and isinstance(outcome, TarjamaError) else ""
        progress.print(f"tarjama: error: {prefix}{message}")

    with ThreadPoolExecutor(args.jobs, thread_name_prefix="tarjama-translate") as pool:
        try:
            for document in documents:
                pending.append((document, pool.submit(_outcome, translate, document)))
                while len(pending) > 2 * args.jobs:
                    finish_oldest()
            while pending:
                finish_oldest()
        except BaseException:
            for _, future in pending:
                future.cancel()
            raise
    return failures


def _outcome(
    translate: Callable[[Document], Translation], document: Document | InputError
) -> Outcome:
    if isinstance(document, InputError):
        return document
    if document.error:
        return InputError(document.error)
    try:
        return translate(document)
    except (TarjamaError, InputError) as error:
        return error


def _translator(
    translator: Translator, terms: tuple[Term, ...], args: argparse.Namespace, progress: JobProgress
) -> Callable[[Document], Translation]:
    def translate(document: Document) -> Translation:
        # The document is segmented here once: its plan gives the progress its total and
        # is what translate_document sends.
        mime_type = args.mime_type or document.mime_type
        pieces = None
        if mime_type == HTML:
            progress.expect(page_sentences(document.text))
        else:
            pieces = plan_pieces(document.text, translator.limits())
            progress.expect(planned_sentences(pieces))
        options = _options(document, args)
        glossaries = args.glossary if document.glossaries is None else list(document.glossaries)
        for attempt in range(BUSY_RETRIES + 1):
            done = 0

            def count(sentences: int) -> None:
                nonlocal done
                done += sentences
                progress.sentences_done(sentences)

            try:
                return translator.translate_document(
                    document.text,
                    glossaries=glossaries,
                    terms=terms,
                    options=options,
                    request_id=document.request_id,
                    mime_type=mime_type,
                    on_progress=count,
                    pieces=pieces,
                )
            except Busy as error:
                progress.sentences_done(-done)  # they will be translated again
                if attempt == BUSY_RETRIES:
                    raise
                time.sleep((error.retry_after_ms or 1000) / 1000)
        raise AssertionError("unreachable: the loop returns or raises")

    return translate


def _options(document: Document, args: argparse.Namespace) -> TranslateOptions:
    fields: dict[str, Any] = {
        "beam_size": args.beam,
        "include_alignment": args.alignment,
        "no_default_glossaries": args.no_default_glossaries,
        "no_document_terms": args.no_document_terms,
    }
    unknown = set(document.options) - set(TranslateOptions.__dataclass_fields__)
    if unknown:
        raise InputError(
            f"{document.request_id}: unknown option {sorted(unknown)[0]!r}: use the fields "
            "of TranslateOptions (beam_size, include_alignment, …)"
        )
    return TranslateOptions(**(fields | document.options))


def _file_document(job: Job) -> Document | InputError:
    try:
        return read_document(job)
    except InputError as error:
        return error


def _jsonl_documents(jobs: list[Job]) -> Iterator[Document | InputError]:
    for job in jobs:
        try:
            yield from read_jsonl(job)
        except InputError as error:
            yield error


def _count_lines(jobs: list[Job]) -> int:
    total = 0
    for job in jobs:
        if job.path is None:
            return 0  # standard input is read once, as it comes: the total is not known
        try:
            with job.path.open("rb") as stream:
                total += sum(1 for line in stream if line.strip())
        except OSError:
            continue  # reported when the file is read
    return total


class FileWriter:
    """Each document's translation into its file, or standard output, in its format."""

    def __init__(self, output: Output) -> None:
        self.output = output

    def __call__(self, document: Document, translation: Translation) -> None:
        self.output.write(document.job, document.text, translation)

    def close(self) -> None:
        """Each file is written whole, and closed, as its translation arrives."""


class JsonlWriter:
    """One line per input line, into the job's output file or standard output."""

    def __init__(self, *, review_only: bool = False) -> None:
        self._files: dict[Job, TextIO] = {}
        self.review_only = review_only

    def __call__(self, document: Document, translation: Translation) -> None:
        if self.review_only:
            translation = flagged_only(translation)
        self._line(document, {"id": document.request_id} | response_dict(translation))

    def error(self, document: Document, error: Exception) -> None:
        code = error.code.name if isinstance(error, TarjamaError) and error.code else ""
        kind = code or ("INVALID_ARGUMENT" if isinstance(error, InputError) else "UNKNOWN")
        message = error.details or error.message if isinstance(error, TarjamaError) else str(error)
        self._line(
            document, {"id": document.request_id, "error": {"code": kind, "message": message}}
        )

    def close(self) -> None:
        for stream in self._files.values():
            stream.close()

    def _line(self, document: Document, record: dict[str, Any]) -> None:
        stream = self._stream(document.job)
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        stream.flush()

    def _stream(self, job: Job) -> TextIO:
        if job.output is None:
            return sys.stdout
        if job not in self._files:
            try:
                job.output.parent.mkdir(parents=True, exist_ok=True)
                self._files[job] = job.output.open("w", encoding="utf-8")
            except OSError as error:
                raise CliError(
                    f"cannot write {job.output}: {error.strerror or error}", EXIT_USAGE
                ) from error
        return self._files[job]


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
