"""Server configuration: defaults → config file → ``TARJAMA_*`` environment → flags.

Every setting is one field of :class:`ServerConfig`. The same name is the key in the TOML
config file (``port = 50051``), the environment variable in upper case with a ``TARJAMA_``
prefix (``TARJAMA_PORT``) and the command-line flag with dashes (``--port``). Later sources
win. :func:`load_config` reads them once, checks every value, and returns one frozen
object; anything it cannot use is a :class:`ConfigError` that names where the value came
from (``server.toml:3``, ``TARJAMA_PORT``, ``--port``), never silently ignored.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tarjama.server.serve.config_parsers import ConfigError, physical_cores, token_problem
from tarjama.server.serve.server_config import SETTINGS, ServerConfig

__all__ = [
    "ENV_PREFIX",
    "SETTINGS",
    "ConfigError",
    "ServerConfig",
    "env_name",
    "flag_name",
    "load_config",
    "physical_cores",
    "setting_help",
    "token_problem",
    "unknown_environment",
]

ENV_PREFIX = "TARJAMA_"
# TARJAMA_* variables that belong to other parts of tarjama, not to the server.
_OTHER_ENVIRONMENT = frozenset({"TARJAMA_MODEL_BASE_URL"})


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.upper()


def flag_name(setting: str) -> str:
    return "--" + setting.replace("_", "-")


def setting_help(setting: str) -> str:
    return str(SETTINGS[setting].metadata["help"])


def load_config(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, str] | None = None,
) -> ServerConfig:
    """Reads the sources in order, later ones winning, and checks the result.

    ``flags`` maps setting names to the text given on the command line.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if config_file is not None:
        _read_file(Path(config_file), values, origins)
    for name in SETTINGS:
        if (raw := environ.get(env_name(name))) is not None:
            values[name] = _parse(name, raw, env_name(name))
            origins[name] = env_name(name)
    for name, raw in (flags or {}).items():
        if name not in SETTINGS:
            raise ConfigError(f"{flag_name(name)}: not a server setting")
        values[name] = _parse(name, raw, flag_name(name))
        origins[name] = flag_name(name)
    config = ServerConfig(**values)
    return _finish(config, origins)


def unknown_environment(environ: Mapping[str, str] | None = None) -> list[str]:
    """``TARJAMA_*`` variables that name no setting (likely typos), for a startup warning."""
    environ = os.environ if environ is None else environ
    known = {env_name(name) for name in SETTINGS} | _OTHER_ENVIRONMENT
    return sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known)


def _parse(name: str, raw: Any, origin: str) -> Any:
    try:
        return SETTINGS[name].metadata["parse"](raw)
    except ValueError as error:
        raise ConfigError(f"{origin}: {name} {error}") from None


def _read_file(path: Path, values: dict[str, Any], origins: dict[str, str]) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    for key, raw in document.items():
        origin = f"{path}:{_line_of(text, key)}"
        if key not in SETTINGS:
            raise ConfigError(
                f"{origin}: unknown setting {key!r}; `tarjama serve --help` lists the settings"
            )
        value = _parse(key, raw, origin)
        if isinstance(value, Path) and not value.is_absolute():
            value = path.parent / value  # relative to the file, not to the working directory
        values[key] = value
        origins[key] = origin


def _line_of(text: str, key: str) -> int | str:
    pattern = re.compile(rf"^\s*(\[\s*)?[\"']?{re.escape(key)}[\"']?\s*(=|\])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return "?"


def _finish(config: ServerConfig, origins: Mapping[str, str]) -> ServerConfig:
    """Checks between settings and of the files they name; reads the token file."""

    def where(name: str) -> str:
        return origins.get(name, "default")

    if config.beam_size > config.max_beam_size:
        raise ConfigError(
            f"{where('beam_size')}: beam_size {config.beam_size} is over max_beam_size "
            f"{config.max_beam_size} ({where('max_beam_size')}): lower one or raise the other"
        )
    if config.metrics_port and config.metrics_port == config.port:
        raise ConfigError(
            f"{where('metrics_port')}: metrics_port {config.metrics_port} is the gRPC port: "
            "pick another"
        )
    if config.max_connection_age_grace_ms is not None and config.max_connection_age_ms is None:
        raise ConfigError(
            f"{where('max_connection_age_grace_ms')}: max_connection_age_grace_ms is set but "
            f"max_connection_age_ms is off ({where('max_connection_age_ms')}): connections "
            "never age, so there is no grace to give; set both or neither"
        )
    if (config.tls_cert is None) != (config.tls_key is None):
        given, missing = (
            ("tls_cert", "tls_key") if config.tls_key is None else ("tls_key", "tls_cert")
        )
        raise ConfigError(f"{where(given)}: {given} is set but {missing} is not: set both")
    if config.tls_client_ca is not None and config.tls_cert is None:
        raise ConfigError(
            f"{where('tls_client_ca')}: tls_client_ca needs tls_cert and tls_key (mutual TLS "
            "is TLS plus client certificates)"
        )
    for name in ("tls_cert", "tls_key", "tls_client_ca", "auth_token_file"):
        path = getattr(config, name)
        if path is not None and not os.access(path, os.R_OK):
            problem = "is not readable" if path.exists() else "does not exist"
            raise ConfigError(f"{where(name)}: {name} {path} {problem}")
    if config.auth_token_file is None:
        return config
    if config.auth_token:
        raise ConfigError(
            f"{where('auth_token')} and {where('auth_token_file')}: set auth_token or "
            "auth_token_file, not both"
        )
    token = config.auth_token_file.read_text(encoding="utf-8").strip()
    if not token or token_problem(token):
        raise ConfigError(
            f"{where('auth_token_file')}: {config.auth_token_file} must hold exactly one "
            f"token, without spaces ({token_problem(token) or 'it is empty'})"
        )
    return replace(config, auth_token=token)
