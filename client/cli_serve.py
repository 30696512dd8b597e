"""`tarjama serve`: run the gRPC translation server.

Every server setting is a flag here, named after the setting (see
``tarjama.server.serve.config``); a flag wins over ``TARJAMA_*`` variables and the config file.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import MISSING
from pathlib import Path
from typing import Any

from tarjama.client.cli import EXIT_USAGE, CliError

# The token would show in `ps` and shell history: it comes from the environment
# (TARJAMA_AUTH_TOKEN), the config file or --auth-token-file only.
_NOT_FLAGS = frozenset({"auth_token"})


def register(subparsers: Any) -> None:
    from tarjama.server.serve.config import SETTINGS, env_name, flag_name, setting_help

    parser = subparsers.add_parser(
        "serve",
        help="run the gRPC translation server",
        description=(
            "Serve tarjama.v1.Translator. Settings come from defaults, then --config FILE "
            "(TOML, keys named like the flags with '_'), then TARJAMA_* environment "
            "variables, then these flags. SIGTERM or SIGINT stops it gracefully."
        ),
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML file of settings (e.g. port = 50051)"
    )
    for name, setting in SETTINGS.items():
        if name in _NOT_FLAGS:
            continue
        default = _default_of(setting)
        parser.add_argument(
            flag_name(name),
            dest=f"setting_{name}",
            metavar=_metavar(name, default, setting.type),
            help=f"{setting_help(name)}{_shown_default(default, setting_help(name))} "
            f"[{env_name(name)}]",
        )
    parser.add_argument(
        "--no-fetch",
        action="store_true",
        help="when no model is installed, stop with advice instead of downloading the "
        "default model",
    )
    parser.set_defaults(func=run)


def _default_of(setting: Any) -> object:
    if setting.default is not MISSING:
        return setting.default
    if setting.default_factory is not MISSING:
        return setting.default_factory()  # e.g. the physical cores, the user data folder
    return None


def _shown_default(default: object, help_text: str) -> str:
    """The default, where the help text does not say it already."""
    if default is None or default == "" or default == () or "default:" in help_text:
        return ""
    shown = ",".join(default) if isinstance(default, tuple) else str(default)
    return f" (default: {shown})"


def _metavar(name: str, default: object, annotation: object) -> str:
    if name.endswith("port"):
        return "PORT"
    if name == "model":
        return "PATH|NAME"
    if isinstance(default, tuple):
        return "NAME,..."
    if isinstance(default, bool):
        return "BOOL"
    if isinstance(default, int | float) or str(annotation).startswith(("int", "float")):
        return "N"
    return "PATH" if "Path" in str(annotation) else "TEXT"


def startup_errors() -> tuple[type[Exception], ...]:
    """What the server's parts raise when they cannot start as configured (each message
    says what to change): for the commands that start them, here or in-process."""
    from tarjama.glossary import GlossaryError
    from tarjama.server.serve.app import StartupError
    from tarjama.server.stores.glossaries import GlossaryStoreError
    from tarjama.server.stores.models import ModelStoreError
    from tarjama.server.translate.engine import EngineError

    return (ModelStoreError, EngineError, StartupError, GlossaryStoreError, GlossaryError)


def run(args: argparse.Namespace) -> int:
    from tarjama.server.serve.app import serve
    from tarjama.server.serve.config import SETTINGS, ConfigError, load_config

    flags = {
        name: value
        for name in SETTINGS
        if (value := getattr(args, f"setting_{name}", None)) is not None
    }
    try:
        config = load_config(args.config, flags=flags)
    except ConfigError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    prepare = None
    if not config.model and not args.no_fetch:
        # Fetched by the listening server, so `tarjama translate --wait` sees it starting.
        def prepare(say: Callable[[str], None]) -> None:
            _fetch_default_model_on_first_use(config.home, say)

    try:
        return serve(config, prepare)
    except startup_errors() as error:
        raise CliError(str(error)) from None


def _fetch_default_model_on_first_use(home: Path, say: Callable[[str], None]) -> None:
    """The first `tarjama serve` on a machine downloads and installs the default model."""
    import os
    import sys

    from tarjama.client.cli_model_commands import fetch_with_progress
    from tarjama.server.stores.models import BASE_URL_ENV, DEFAULT_MODEL, ModelStore

    store = ModelStore(home, os.environ.get(BASE_URL_ENV) or None)
    if store.list_models():
        return
    print(
        f"tarjama: no model installed in {home}: fetching {DEFAULT_MODEL} (first use only)",
        file=sys.stderr,
        flush=True,
    )
    fetch_with_progress(store, DEFAULT_MODEL, on_status=say)
