"""`tarjama completion SHELL`: a completion script generated from the command's own parser,
so it never falls behind the commands and options it completes."""

from __future__ import annotations

import argparse

from tarjama.client.cli import EXIT_OK

SHELLS = ("bash", "zsh", "tcsh")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for SHELL. Bash: "
        "`tarjama completion bash > ~/.local/share/bash-completion/completions/tarjama`; "
        'zsh: `tarjama completion zsh > "${fpath[1]}/_tarjama"`.',
    )
    parser.add_argument("shell", choices=SHELLS)
    parser.set_defaults(func=_print)


def _print(args: argparse.Namespace) -> int:
    import shtab

    from tarjama.client.cli import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK
