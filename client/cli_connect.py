"""What every command that talks to a tarjama server shares: options, connection, errors.

The server address comes from --server, else TARJAMA_SERVER, else localhost:50051; the
bearer token from --token, else TARJAMA_TOKEN (the environment keeps it out of shell
history and process lists). Failures of the client library become one-line CliErrors
that say what happened and what to do.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from tarjama.client.cli import EXIT_FAILURE, EXIT_UNAVAILABLE, CliError
from tarjama.client.errors import (
    Busy,
    Conflict,
    DeadlineExceeded,
    InvalidRequest,
    MessageTooLarge,
    NotFound,
    PermissionDenied,
    ServerUnavailable,
    TarjamaError,
    Unauthenticated,
)
from tarjama.client.translator import DEFAULT_ADDRESS, Translator
from tarjama.results import HealthStatus

SERVER_ENV = "TARJAMA_SERVER"
TOKEN_ENV = "TARJAMA_TOKEN"
# --wait gives up this soon when no server ever answered: nothing is starting there.
NOTHING_LISTENING_S = 30.0

_START_ADVICE = f"start it with `tarjama serve`, or pass --server HOST:PORT or set {SERVER_ENV}"
_TLS_ADVICE = "pass --tls for a server with a public certificate, --ca PEM for a private one"
# Substrings of gRPC's own messages for a server never reached: what they mean, what to do.
_CONNECTION_PROBLEMS = (
    ("connection refused", "connection refused", _START_ADVICE),
    ("dns resolution failed", "unknown host", _START_ADVICE),
    ("name or service not known", "unknown host", _START_ADVICE),
    ("handshake", "TLS handshake failed", _TLS_ADVICE + ", or leave TLS off if it has none"),
    ("ssl", "TLS failed", _TLS_ADVICE),
    ("socket closed", "the connection was closed", "if the server uses TLS, " + _TLS_ADVICE),
    ("deadline", "no answer in time", _START_ADVICE),
)


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("server connection")
    group.add_argument(
        "--server",
        metavar="HOST:PORT",
        default=os.environ.get(SERVER_ENV) or DEFAULT_ADDRESS,
        help=f"the tarjama server (default: ${SERVER_ENV} or {DEFAULT_ADDRESS})",
    )
    group.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV) or None,
        help=f"bearer token for glossary changes (default: ${TOKEN_ENV})",
    )
    group.add_argument("--tls", action="store_true", help="connect over TLS")
    group.add_argument(
        "--ca",
        metavar="PEM",
        help="CA certificate(s) to trust for the server's certificate (implies --tls)",
    )
    group.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=300.0,
        metavar="SECONDS",
        help="deadline of each call to the server (default: 300)",
    )


def add_wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=_positive_seconds,
        metavar="SECONDS",
        help="wait up to SECONDS for the server to be up and serving before starting "
        "(for scripts that have just started `tarjama serve`)",
    )


def wait_until_serving(translator: Translator, args: argparse.Namespace) -> None:
    """Polls the health service until SERVING, showing what the server says it is doing;
    a CliError when --wait runs out first, or sooner when nothing listens at all for
    ``NOTHING_LISTENING_S`` (a server that is starting listens at once; one that died in
    its first second never will)."""
    if not getattr(args, "wait", None):
        return
    started = time.monotonic()
    deadline = started + args.wait
    last_seen = "no answer"
    ever_answered = False
    shown = ""
    while True:
        try:
            status = translator.health(timeout=2.0)
            ever_answered = True
            if status is HealthStatus.SERVING:
                return
            last_seen = status.value
            doing = _server_activity(translator) or last_seen
            if (doing != shown and sys.stderr.isatty()) or (doing != shown and not shown):
                print(f"tarjama: waiting for the server: {doing}", file=sys.stderr, flush=True)
                shown = doing
        except ServerUnavailable as error:
            last_seen = _connection_problem(error.details or error.message)[0]
        except DeadlineExceeded:
            last_seen = "no answer in time"
        now = time.monotonic()
        nothing_listens = not ever_answered and now - started >= NOTHING_LISTENING_S
        if now >= deadline or nothing_listens:
            waited = min(args.wait, now - started)
            raise CliError(
                f"the tarjama server at {args.server} was not serving after {waited:.0f} s "
                f"(last seen: {last_seen}): read the output of `tarjama serve`, or wait longer",
                EXIT_UNAVAILABLE,
            )
        time.sleep(1.0)


def _server_activity(translator: Translator) -> str:
    """What a server that is not serving yet says it is doing (its UNAVAILABLE message)."""
    try:
        translator.model_info(timeout=2.0)
    except ServerUnavailable as error:
        return error.details or ""
    except TarjamaError:
        return ""
    return ""


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return seconds


def connect(args: argparse.Namespace) -> Translator:
    """A client for the server the command line names."""
    try:
        return Translator(
            args.server,
            token=args.token,
            tls=args.tls,
            root_certificates=args.ca,
            timeout=args.timeout,
        )
    except TarjamaError as error:  # an unreadable --ca file
        raise CliError(f"{error.message}: pass a readable PEM file to --ca") from error


def cli_error(error: TarjamaError, args: argparse.Namespace) -> CliError:
    """One line for a failed call: what happened, then what to do."""
    server = args.server
    said = error.details or error.message
    if isinstance(error, ServerUnavailable):
        reason, advice = _connection_problem(said)
        return CliError(
            f"cannot reach the tarjama server at {server} ({reason}): {advice}", EXIT_UNAVAILABLE
        )
    if isinstance(error, Unauthenticated):
        what_to_do = (
            "check the token given with --token or $" + TOKEN_ENV
            if args.token
            else f"pass --token TOKEN or set {TOKEN_ENV}"
        )
        return CliError(f"the server at {server} refused the call ({said}): {what_to_do}")
    if isinstance(error, MessageTooLarge):
        return CliError(
            f"a message of {error.size} bytes is over the limit of {error.limit} bytes of the "
            f"server at {server} or of this client: translate a file (the CLI sends it in "
            "pieces under the server's limits) with fewer inline terms, or ask the operator "
            "to raise the server's --max-message-bytes"
        )
    if isinstance(error, Busy):
        wait = f"{error.retry_after_ms} ms" if error.retry_after_ms is not None else "a moment"
        return CliError(f"the server at {server} is busy ({said}): try again in {wait}")
    if isinstance(error, DeadlineExceeded):
        return CliError(
            f"the server at {server} did not answer within {args.timeout:g} s: "
            "pass --timeout with more seconds, or send a shorter text"
        )
    if isinstance(error, NotFound):  # only glossaries are looked up by name
        hint = "" if "glossary list" in said else ": `tarjama glossary list` shows what there is"
        return CliError(said + hint)
    if isinstance(error, InvalidRequest | Conflict | PermissionDenied):
        return CliError(said)
    code = error.code.name if error.code is not None else "an error"
    return CliError(f"the server at {server} failed with {code}: {said}", EXIT_FAILURE)


def _connection_problem(details: str) -> tuple[str, str]:
    lowered = details.lower()
    for marker, reason, advice in _CONNECTION_PROBLEMS:
        if marker in lowered:
            return reason, advice
    return (details.splitlines()[0] if details else "unavailable"), _START_ADVICE
