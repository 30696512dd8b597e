"""`tarjama translate --local`: the server's pipeline in this process, for one-off use.

The same server code runs here, on a loopback port of its own for the length of the
command: the same model, glossaries (from ``$TARJAMA_HOME``), settings (``TARJAMA_*``)
and therefore the same output as `tarjama serve` would give, without starting one. Its
glossaries cannot be changed through it: writes need a token that only this process
knows.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from tarjama.client.cli import EXIT_USAGE, CliError
from tarjama.client.translator import Translator


@contextmanager
def local_translator(args: argparse.Namespace) -> Iterator[Translator]:
    from tarjama.client.cli_serve import startup_errors
    from tarjama.server.serve.app import create_server
    from tarjama.server.serve.config import ConfigError, load_config

    flags = {"host": "127.0.0.1", "port": "0", "auth_token": secrets.token_hex(16)}
    if args.model:
        flags["model"] = args.model
    try:
        config = load_config(flags=flags)
        server, port = create_server(config)
    except ConfigError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    except startup_errors() as error:
        raise CliError(f"--local: {error}") from None
    server.start()
    # Errors name the server they came from: this one, not --server's default address.
    args.server = f"127.0.0.1:{port} (--local, in this process)"
    try:
        with Translator(f"127.0.0.1:{port}", timeout=None) as translator:
            yield translator
    finally:
        server.stop(None).wait()
