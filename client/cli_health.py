"""`tarjama health`: is the server up and serving? For people, scripts and probes.

Prints the standard gRPC health status (SERVING, NOT_SERVING ...) and exits 0 only for
SERVING, 1 for any other answer, 3 when the server cannot be reached.
"""

from __future__ import annotations

import argparse

from tarjama.client.cli import EXIT_FAILURE, EXIT_OK
from tarjama.client.cli_connect import (
    add_connection_options,
    add_wait_option,
    cli_error,
    connect,
    wait_until_serving,
)
from tarjama.client.errors import TarjamaError
from tarjama.results import HealthStatus


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "health",
        help="check that the translation server is serving",
        description=(
            "Ask the server's standard gRPC health service. Exit status: 0 SERVING, "
            "1 any other status, 3 the server cannot be reached."
        ),
    )
    parser.add_argument(
        "--service",
        default="",
        help='service to ask about, e.g. tarjama.v1.Translator (default: "", the server)',
    )
    add_connection_options(parser)
    add_wait_option(parser)
    parser.set_defaults(func=run_health, timeout=10.0)


def run_health(args: argparse.Namespace) -> int:
    with connect(args) as translator:
        wait_until_serving(translator, args)
        try:
            status = translator.health(args.service)
        except TarjamaError as error:
            raise cli_error(error, args) from error
    print(status.value)
    return EXIT_OK if status is HealthStatus.SERVING else EXIT_FAILURE
