"""A corpus of translations for `tarjama consistency` and `tarjama glossary suggest`.

Each input is either the CLI's JSON output (``.json`` or ``.jsonl``: one TranslateResponse
a line, as `tarjama translate -f json --alignment` writes it for one or several inputs, or
`--jsonl` with an ``"id"`` beside it; lines with an ``"error"`` are left out), or Arabic
text (a ``.txt`` file, or a folder of them) that is translated here, with word alignments,
by the server or in-process (``--local``). Names need the alignment: a JSON output
without it is refused with the command that makes one.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import json_format

from tarjama.client.calls import TranslateOptions
from tarjama.client.cli import EXIT_USAGE, CliError
from tarjama.client.cli_connect import add_connection_options, cli_error, connect
from tarjama.client.cli_inputs import InputError, plan_jobs, read_document
from tarjama.client.cli_local import local_translator
from tarjama.client.errors import TarjamaError
from tarjama.glossary import contains_arabic_letter
from tarjama.results import Translation
from tarjama.v1 import translator_pb2 as pb
from tarjama.wire import translation_from_proto

JSON_SUFFIXES = (".json", ".jsonl")
ALIGNMENT_HINT = "translate with `tarjama translate -f json --alignment` (or give the .txt files)"


@dataclass(frozen=True)
class CorpusDocument:
    name: str  # the file, and the line's id or number for a file of several
    translation: Translation


def add_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="FILE",
        help="JSON output of `tarjama translate -f json --alignment` (.json/.jsonl), "
        "or Arabic .txt files and folders to translate",
    )
    parser.add_argument(
        "--local", action="store_true", help="translate .txt inputs in this process, no server"
    )
    parser.add_argument("--model", metavar="PATH|NAME", help="with --local: the model")
    add_connection_options(parser)


def read_corpus(args: argparse.Namespace) -> list[CorpusDocument]:
    """Every document of the inputs, in order; text inputs are translated here."""
    documents: list[CorpusDocument] = []
    texts: list[str] = []
    for argument in args.inputs:
        path = Path(argument)
        if path.suffix in JSON_SUFFIXES and path.is_file():
            documents.extend(_read_outputs(path))
        else:
            texts.append(argument)
    if texts:
        documents.extend(_translate(texts, args))
    return documents


def _read_outputs(path: Path) -> Iterator[CorpusDocument]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    several = sum(1 for line in lines if line.strip()) > 1
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            if "error" in record:
                continue  # a document that failed to translate: nothing to learn from
            identifier = str(record.pop("id", "") or "")
            message = json_format.ParseDict(
                record, pb.TranslateResponse(), ignore_unknown_fields=True
            )
        except (ValueError, json_format.ParseError) as error:
            raise CliError(
                f"{where}: not a tarjama JSON output ({str(error)[:80]}): {ALIGNMENT_HINT}",
                EXIT_USAGE,
            ) from None
        translation = translation_from_proto(message)
        _check_alignment(translation, where)
        label = identifier or translation.request_id
        name = f"{path}:{label or number}" if several else str(path)
        yield CorpusDocument(name, translation)


def _check_alignment(translation: Translation, where: str) -> None:
    translated = [pair for pair in translation.sentences if contains_arabic_letter(pair.source)]
    if translated and not any(pair.alignment for pair in translated):
        raise CliError(f"{where} has no word alignment: {ALIGNMENT_HINT}", EXIT_USAGE)


def _translate(inputs: list[str], args: argparse.Namespace) -> Iterator[CorpusDocument]:
    if args.model and not args.local:
        raise CliError("--model goes with --local: a server serves its own model", EXIT_USAGE)
    jobs = plan_jobs(inputs, None, "json", jsonl=False)
    options = TranslateOptions(include_alignment=True)
    with ExitStack() as cleanup:
        if args.local:
            translator = cleanup.enter_context(local_translator(args))
        else:
            translator = cleanup.enter_context(connect(args))
        for job in jobs:
            try:
                document = read_document(job)
                translation = translator.translate_document(document.text, options=options)
            except InputError as error:
                raise CliError(str(error), EXIT_USAGE) from None
            except TarjamaError as error:
                raise cli_error(error, args) from None
            yield CorpusDocument(job.name, translation)
