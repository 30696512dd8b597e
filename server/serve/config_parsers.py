"""What a server setting's value may be: the parsers settings are read with.

Each parser takes the raw value of one source (text from the environment or a flag, a TOML
value from the config file) and returns the typed value, or raises ValueError saying what
was expected; :mod:`tarjama.server.serve.config` adds where the value came from.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tarjama.glossary.model import NAME_PATTERN

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
DEVICES = ("cpu", "cuda", "auto")
COMPUTE_TYPES = (
    "default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16",
    "int16", "float16", "bfloat16", "float32",
)  # fmt: skip
OTEL_EXPORTERS = ("none", "console", "otlp")


class ConfigError(Exception):
    """A setting that cannot be used; the message names its source and the fix."""


Parser = Callable[[Any], Any]


def about(help: str, parse: Parser) -> dict[str, Any]:
    """Field metadata: the help text shown by `tarjama serve --help`, and the parser."""
    return {"help": help, "parse": parse}


def integer(low: int, high: int | None = None) -> Parser:
    def parse(raw: Any) -> int:
        if isinstance(raw, str):
            try:
                raw = int(raw.strip().replace("_", ""))
            except ValueError:
                raise ValueError(f"expected a whole number, got {raw!r}") from None
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"expected a whole number, got {raw!r}")
        if raw < low or (high is not None and raw > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {bound}, got {raw}")
        return raw

    return parse


def optional(parse: Parser) -> Parser:
    """An empty string (or "none") turns the setting off."""

    def parse_optional(raw: Any) -> Any:
        if isinstance(raw, str) and raw.strip().lower() in ("", "none"):
            return None
        return parse(raw)

    return parse_optional


def seconds(raw: Any) -> float:
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            raise ValueError(f"expected a number of seconds, got {raw!r}") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw >= 0:
        raise ValueError(f"expected a number of seconds >= 0, got {raw!r}")
    return float(raw)


def text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"expected text, got {raw!r}")
    return raw.strip()


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be a bearer token, or None. gRPC metadata values are printable
    ASCII: a client could never send a token with other characters."""
    if any(char.isspace() for char in token):
        return "must not contain spaces or other whitespace"
    if not all(" " < char <= "~" for char in token):
        return "must be printable ASCII (letters, digits, punctuation): gRPC metadata is ASCII"
    return None


def bearer_token(raw: Any) -> str:
    token = text(raw)
    if raw and not token:
        raise ValueError(
            "is whitespace only, which would leave glossary writes open: set a real token, "
            "or unset it to run without one"
        )
    if token and (problem := token_problem(token)):
        raise ValueError(problem)
    return token


def path(raw: Any) -> Path:
    value = text(raw)
    if not value:
        raise ValueError("expected a path, got an empty value")
    return Path(value).expanduser()


def choice(*choices: str) -> Parser:
    def parse(raw: Any) -> str:
        value = text(raw).lower()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def glossary_names(raw: Any) -> tuple[str, ...]:
    """A TOML list of names, or comma-separated names in the environment and flags."""
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise ValueError(f"expected a list of glossary names, got {raw!r}")
    names = tuple(name.strip() for name in raw)
    for name in names:
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(f"{name!r} is not a glossary name (lower-case letters, digits, -, _)")
    if len(set(names)) != len(names):
        raise ValueError(f"a glossary is named twice in {list(names)}")
    return names


def physical_cores(cpuinfo: str | None = None, allowed: set[int] | None = None) -> int:
    """Physical cores this process may run on, SMT siblings counted once: the server's
    default intra_threads (bench/RESULTS.md). CTranslate2's own default is 4 threads, which
    oversubscribes a 2-core machine and leaves most of a 16-core one idle."""
    try:
        allowed = allowed if allowed is not None else os.sched_getaffinity(0)
        cpuinfo = cpuinfo if cpuinfo is not None else Path("/proc/cpuinfo").read_text()
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1
    cores: set[tuple[str | None, str]] = set()
    for block in cpuinfo.strip().split("\n\n"):
        lines = (line.partition(":") for line in block.splitlines())
        entry = {key.strip(): value.strip() for key, _, value in lines}
        if entry.get("processor", "").isdigit() and int(entry["processor"]) in allowed:
            cores.add((entry.get("physical id"), entry.get("core id", entry["processor"])))
    return len(cores) or len(allowed) or 1
