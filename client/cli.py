"""The `tarjama` command line: one entry point, one module per command group.

Each command module exposes ``register(subparsers)``, which adds its sub-commands and sets
``func`` on them: ``func(args) -> int`` returns the exit code. Errors a person can fix are
raised as :class:`CliError` and printed as one line, never as a traceback.

Exit codes: 0 success; 1 the work failed (invalid input, validation errors, a failed
translation); 2 bad command-line usage; 3 the server could not be reached;
130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130

# Sub-command groups, in the order `tarjama --help` lists them.
COMMAND_MODULES = (
    "tarjama.client.cli_translate",
    "tarjama.client.cli_glossary",
    "tarjama.client.cli_consistency",
    "tarjama.client.cli_model",
    "tarjama.client.cli_health",
    "tarjama.client.cli_serve",
    "tarjama.client.cli_batch",
    "tarjama.client.cli_completion",
)


class CliError(Exception):
    """An error to print as one line: what happened and what to do."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def counted(number: int, noun: str) -> str:
    """``1 term``, ``2 terms``: a count as the user reads it."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def build_parser() -> argparse.ArgumentParser:
    from tarjama import __version__

    parser = argparse.ArgumentParser(
        prog="tarjama",
        description="Arabic-to-English translation with enforced glossaries.",
    )
    parser.add_argument("--version", action="version", version=f"tarjama {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as error:
        print(f"tarjama: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("tarjama: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `| head`); that is not an error.
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    # Under `python -m`, this file runs as `__main__`, a second copy of the module whose
    # CliError is not the one the commands raise: run the real module's main instead.
    from tarjama.client.cli import main as package_main

    sys.exit(package_main())
