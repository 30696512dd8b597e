"""`tarjama model`: fetch, import, list and verify translation models.

The parser is built from light modules only; the store (numpy, CTranslate2's converter)
is imported when a model command runs, so other commands start fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable

from tarjama.client.cli import EXIT_OK
from tarjama.client.cli_connect import add_connection_options, cli_error, connect
from tarjama.client.errors import TarjamaError
from tarjama.server.stores.catalog import BASE_URL_ENV, DEFAULT_MODEL, KNOWN_MODELS
from tarjama.server.stores.home import HOME_ENV


def _info(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    with connect(args) as translator:
        try:
            info = translator.model_info()
        except TarjamaError as error:
            raise cli_error(error, args) from error
    if args.json:
        print(json.dumps(asdict(info), indent=2, ensure_ascii=False))
        return EXIT_OK
    limits = info.limits
    rows = [
        ("model", f"{info.name} ({info.source_language} → {info.target_language})"),
        ("architecture", info.architecture or "unknown"),
        ("runs on", f"{info.device}, {info.compute_type}"),
        ("default beam", str(info.default_beam_size)),
        ("word alignment", "yes" if info.supports_alignment else "no"),
        ("default glossaries", ", ".join(info.default_glossaries) or "none"),
        ("source", info.source_url or "local import"),
        ("server version", info.server_version),
        (
            "limits",
            f"{limits.max_characters} characters, {limits.max_sentences} sentences, "
            f"{limits.max_inline_terms} inline terms, beam ≤ {limits.max_beam_size}, "
            f"messages ≤ {limits.max_message_bytes} bytes per request",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    return EXIT_OK


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        commands = importlib.import_module("tarjama.client.cli_model_commands")
        return int(getattr(commands, f"_{name}")(args))

    return run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    known = "\n".join(f"  {m.name}: {m.description}" for m in KNOWN_MODELS.values())
    storage = f"Models are stored under ${HOME_ENV} (default: the platform's user data folder)."
    group = subparsers.add_parser(
        "model",
        help="fetch, import, list and verify translation models",
        description=f"Manage the installed translation models. {storage}",
    )
    commands = group.add_subparsers(dest="model_command", metavar="COMMAND", required=True)

    fetch = commands.add_parser(
        "fetch",
        help="download, convert and install a released model",
        description="Download an OPUS-MT release (resuming an interrupted download), "
        "convert it to CTranslate2 int8 and install it.",
        epilog=f"known models:\n{known}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument("name", nargs="?", default=DEFAULT_MODEL, metavar="NAME")
    fetch.add_argument(
        "--base-url",
        metavar="URL",
        help=f"mirror of the release store (default: ${BASE_URL_ENV}, else the original)",
    )
    fetch.add_argument("--sha256", metavar="HEX", help="expected sha256 of the archive")
    fetch.add_argument("--force", action="store_true", help="replace an installed model")
    fetch.set_defaults(func=_command("fetch"))

    importer = commands.add_parser(
        "import",
        help="install a model from a local archive or directory (offline machines)",
        description="Install an OPUS-MT release (.zip/.tar.gz archive or unpacked "
        "directory) or an existing CTranslate2 model directory.",
    )
    importer.add_argument("path", metavar="PATH")
    importer.add_argument("--name", help="install under this name (default: from PATH)")
    importer.add_argument("--sha256", metavar="HEX", help="expected sha256 of the archive")
    importer.add_argument("--force", action="store_true", help="replace an installed model")
    importer.set_defaults(func=_command("import"))

    lister = commands.add_parser("list", help="show the installed models (* marks the default)")
    lister.add_argument("--json", action="store_true", help="as a JSON list")
    lister.set_defaults(func=_command("list"))

    info = commands.add_parser(
        "info", help="what a running server serves: its model, defaults and request limits"
    )
    info.add_argument("--json", action="store_true", help="as a JSON object")
    add_connection_options(info)
    info.set_defaults(func=_info)

    verify = commands.add_parser(
        "verify", help="check an installed model's files against its manifest and load it"
    )
    verify.add_argument("name", nargs="?", metavar="NAME", help="default: the default model")
    verify.set_defaults(func=_command("verify"))

    default = commands.add_parser(
        "default", help="show the default model, or make NAME the default"
    )
    default.add_argument("name", nargs="?", metavar="NAME")
    default.set_defaults(func=_command("default"))
