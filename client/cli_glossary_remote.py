"""`tarjama glossary list | show | push | delete`: the glossaries a tarjama server holds.

Registered under `tarjama glossary` by cli_glossary, beside the offline `validate` and
`match`. `show` prints YAML in the glossary schema, so `show NAME > f.yaml`, an edit and
`push f.yaml` round-trip. `push` checks the file locally first, listing every problem
with its line, so a broken file never reaches the server.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import ParamSpec, TypeVar

from tarjama.client.cli import EXIT_OK, CliError, counted
from tarjama.client.cli_connect import add_connection_options, cli_error, connect
from tarjama.client.errors import TarjamaError
from tarjama.glossary import GlossaryError, dump_glossary, load_glossary
from tarjama.glossary.model import MAX_FILE_BYTES

P = ParamSpec("P")
R = TypeVar("R")


def register_remote(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser(
        "list", help="list the server's glossaries", description="List the server's glossaries."
    )
    listing.add_argument("--json", action="store_true", help="as a JSON list")
    listing.set_defaults(func=run_list)

    show = commands.add_parser(
        "show",
        help="print a server glossary as YAML",
        description="Print a server glossary in the YAML schema (push reads it back).",
    )
    show.add_argument("name", metavar="NAME")
    show.set_defaults(func=run_show)

    push = commands.add_parser(
        "push",
        help="create or replace a glossary on the server",
        description="Check a glossary file, then create or replace it on the server.",
    )
    push.add_argument("file", metavar="FILE", help="glossary YAML file")
    push.add_argument("--name", help="store it under this name instead of the file's own")
    push.add_argument(
        "--expected-version",
        type=int,
        default=0,
        metavar="N",
        help="replace only if the server still has version N (0: unconditionally)",
    )
    push.set_defaults(func=run_push)

    delete = commands.add_parser(
        "delete", help="delete a glossary from the server", description="Delete a glossary."
    )
    delete.add_argument("name", metavar="NAME")
    delete.add_argument(
        "--expected-version",
        type=int,
        default=0,
        metavar="N",
        help="delete only if the server still has version N (0: unconditionally)",
    )
    delete.set_defaults(func=run_delete)

    for parser in (listing, show, push, delete):
        add_connection_options(parser)


def run_list(args: argparse.Namespace) -> int:
    with connect(args) as translator:
        glossaries = _call(args, translator.list_glossaries)
    if args.json:
        records = [
            {
                "name": info.name,
                "version": info.version,
                "term_count": info.term_count,
                "update_time": info.update_time.isoformat() if info.update_time else None,
                "description": info.description,
                "source_language": info.source_language,
                "target_language": info.target_language,
                "load_error": info.load_error,
            }
            for info in glossaries
        ]
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not glossaries:
        print("the server has no glossaries: add one with `tarjama glossary push FILE`")
        return EXIT_OK
    rows = [("NAME", "VERSION", "TERMS", "UPDATED", "DESCRIPTION")] + [
        (
            info.name,
            str(info.version) if info.version else "-",
            str(info.term_count),
            info.update_time.strftime("%Y-%m-%d %H:%M") if info.update_time else "-",
            info.description.splitlines()[0] if info.description else "",
        )
        for info in glossaries
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        print("  ".join([*cells, row[4]]).rstrip())
    for info in glossaries:
        if info.load_error:
            serving = f"version {info.version} serves" if info.version else "not served"
            print(
                f"tarjama: glossary {info.name}: the server's file does not load ({serving}): "
                f"{info.load_error}",
                file=sys.stderr,
            )
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    with connect(args) as translator:
        glossary = _call(args, translator.get_glossary, args.name)
    sys.stdout.write(dump_glossary(glossary))
    return EXIT_OK


def run_push(args: argparse.Namespace) -> int:
    try:
        glossary = load_glossary(args.file)
    except GlossaryError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        raise CliError(f"{args.file} was not pushed: fix the problems above") from error
    with connect(args) as translator:
        if args.name:
            stored = _call(
                args,
                translator.put_glossary,
                replace(glossary, name=args.name),
                expected_version=args.expected_version,
            )
        else:
            # The file as written, comments included: the server stores YAML.
            text = _read_small_text(args.file)
            stored = _call(
                args, translator.put_glossary, text, expected_version=args.expected_version
            )
    print(f"pushed {stored.name} version {stored.version} ({counted(len(stored.terms), 'term')})")
    return EXIT_OK


def run_delete(args: argparse.Namespace) -> int:
    with connect(args) as translator:
        version = _call(
            args, translator.delete_glossary, args.name, expected_version=args.expected_version
        )
    print(f"deleted {args.name} (version {version})")
    return EXIT_OK


def _read_small_text(path: str) -> str:
    # load_glossary has already checked size and encoding; this re-read cannot fail on them.
    with open(path, encoding="utf-8") as file:
        return file.read(MAX_FILE_BYTES + 1)


def _call(
    args: argparse.Namespace, method: Callable[P, R], *positional: P.args, **keywords: P.kwargs
) -> R:
    try:
        return method(*positional, **keywords)
    except TarjamaError as error:
        raise cli_error(error, args) from error
