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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from tarjama.glossary.model import NAME_PATTERN
from tarjama.server.stores.home import default_home
from tarjama.server.translate.options import EngineOptions

ENV_PREFIX = "TARJAMA_"
# TARJAMA_* variables that belong to other parts of tarjama, not to the server.
_OTHER_ENVIRONMENT = frozenset({"TARJAMA_MODEL_BASE_URL"})
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
DEVICES = ("cpu", "cuda", "auto")
COMPUTE_TYPES = (
    "default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16",
    "int16", "float16", "bfloat16", "float32",
)  # fmt: skip


class ConfigError(Exception):
    """A setting that cannot be used; the message names its source and the fix."""


Parser = Callable[[Any], Any]


def _about(help: str, parse: Parser) -> dict[str, Any]:
    """Field metadata: the help text shown by `tarjama serve --help`, and the parser."""
    return {"help": help, "parse": parse}


def _integer(low: int, high: int | None = None) -> Parser:
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


def _optional(parse: Parser) -> Parser:
    """An empty string (or "none") turns the setting off."""

    def parse_optional(raw: Any) -> Any:
        if isinstance(raw, str) and raw.strip().lower() in ("", "none"):
            return None
        return parse(raw)

    return parse_optional


def _seconds(raw: Any) -> float:
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            raise ValueError(f"expected a number of seconds, got {raw!r}") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw >= 0:
        raise ValueError(f"expected a number of seconds >= 0, got {raw!r}")
    return float(raw)


def _text(raw: Any) -> str:
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


def _token(raw: Any) -> str:
    token = _text(raw)
    if raw and not token:
        raise ValueError(
            "is whitespace only, which would leave glossary writes open: set a real token, "
            "or unset it to run without one"
        )
    if token and (problem := token_problem(token)):
        raise ValueError(problem)
    return token


def _path(raw: Any) -> Path:
    text = _text(raw)
    if not text:
        raise ValueError("expected a path, got an empty value")
    return Path(text).expanduser()


def _choice(*choices: str) -> Parser:
    def parse(raw: Any) -> str:
        value = _text(raw).lower()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def _glossary_names(raw: Any) -> tuple[str, ...]:
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


_PORT = _integer(0, 65535)
_ENGINE = EngineOptions()  # the engine's defaults are the server's
_POSITIVE = _integer(1)


@dataclass(frozen=True)
class ServerConfig:
    """Everything `tarjama serve` needs, validated; see the module docstring for sources."""

    host: str = field(
        default="localhost",
        metadata=_about("address to listen on (0.0.0.0 or [::] for all)", _text),
    )
    port: int = field(
        default=50051, metadata=_about("port to listen on; 0 picks a free port", _PORT)
    )
    home: Path = field(
        default_factory=default_home,
        metadata=_about(
            "tarjama's data folder (models, glossaries); default: the user data dir", _path
        ),
    )
    model: str = field(
        default="",
        metadata=_about(
            "model to serve: an installed model's name or a model folder; default: the "
            "model store's default model",
            _text,
        ),
    )
    glossary_dir: Path = field(
        default=None,  # type: ignore[assignment]  # <home>/glossaries, set in __post_init__
        metadata=_about(
            "folder of glossary YAML files; default: <home>/glossaries, seeded with the "
            "bundled `news` glossary when empty",
            _path,
        ),
    )
    default_glossaries: tuple[str, ...] = field(
        default=("news",),
        metadata=_about(
            "glossaries applied when a request names none (comma-separated)", _glossary_names
        ),
    )
    device: str = field(
        default=_ENGINE.device,
        metadata=_about(f"CTranslate2 device: {', '.join(DEVICES)}", _choice(*DEVICES)),
    )
    compute_type: str = field(
        default=_ENGINE.compute_type,
        metadata=_about(
            "CTranslate2 compute type (int8 is the fast choice on CPU)", _choice(*COMPUTE_TYPES)
        ),
    )
    inter_threads: int = field(
        default=_ENGINE.inter_threads,
        metadata=_about("batches CTranslate2 translates in parallel", _POSITIVE),
    )
    intra_threads: int = field(
        default_factory=physical_cores,  # measured fastest; the engine alone keeps 0
        metadata=_about(
            "threads per batch; default: this machine's physical cores; 0 lets CTranslate2 "
            "choose (4)",
            _integer(0),
        ),
    )
    beam_size: int = field(
        default=_ENGINE.beam_size,
        metadata=_about("default beam width (requests may ask for another)", _POSITIVE),
    )
    max_batch_tokens: int = field(
        default=4096,
        metadata=_about("source tokens per batch the batcher hands to CTranslate2", _POSITIVE),
    )
    max_batch_sentences: int = field(
        default=32,  # faster per sentence than 64 on a 2-core CPU (bench/RESULTS.md)
        metadata=_about("sentences per batch the batcher hands to CTranslate2", _POSITIVE),
    )
    max_wait_ms: int = field(
        default=5,
        metadata=_about(
            "how long the batcher waits for more sentences before translating", _integer(0)
        ),
    )
    max_queue_sentences: int = field(
        default=10_000,
        metadata=_about(
            "sentences waiting in the queue before requests get RESOURCE_EXHAUSTED", _POSITIVE
        ),
    )
    batch_workers: int = field(
        default=1, metadata=_about("threads feeding batches to CTranslate2", _POSITIVE)
    )
    max_characters: int = field(
        default=100_000, metadata=_about("code points per request", _POSITIVE)
    )
    max_sentences: int = field(
        default=2_000, metadata=_about("sentences per request after segmentation", _POSITIVE)
    )
    max_inline_terms: int = field(
        default=1_000, metadata=_about("inline terms per request", _integer(0))
    )
    max_message_bytes: int = field(
        default=4 * 1024 * 1024,
        metadata=_about("largest gRPC message the server accepts", _integer(1024)),
    )
    max_beam_size: int = field(
        default=16, metadata=_about("largest beam a request may ask for", _POSITIVE)
    )
    max_concurrent_streams: int = field(
        default=1024,
        metadata=_about("concurrent calls per client connection (HTTP/2 streams)", _POSITIVE),
    )
    rpc_threads: int = field(
        default=128,
        metadata=_about(
            "threads serving calls; each waits while its sentences are translated", _POSITIVE
        ),
    )
    max_concurrent_calls: int = field(
        default=1024,
        metadata=_about(
            "calls running or waiting for a thread; beyond it calls get RESOURCE_EXHAUSTED "
            "at once instead of queueing without bound",
            _POSITIVE,
        ),
    )
    stream_read_ahead: int = field(
        default=8,
        metadata=_about(
            "requests of one TranslateStream translated ahead of the client reading", _POSITIVE
        ),
    )
    cache_entries: int = field(
        default=10_000,
        metadata=_about("translated sentences kept in the cache; 0 turns it off", _integer(0)),
    )
    glossary_check_ms: int = field(
        default=1000,
        metadata=_about(
            "how often glossary files are checked for edits on disk, at most", _integer(0)
        ),
    )
    auth_token: str = field(
        default="",
        repr=False,
        metadata=_about("bearer token glossary writes need; empty: writes are open", _token),
    )
    auth_token_file: Path | None = field(
        default=None,
        metadata=_about("file holding the bearer token (read once at start)", _optional(_path)),
    )
    tls_cert: Path | None = field(
        default=None, metadata=_about("PEM certificate chain: serve TLS", _optional(_path))
    )
    tls_key: Path | None = field(
        default=None, metadata=_about("PEM private key of tls_cert", _optional(_path))
    )
    tls_client_ca: Path | None = field(
        default=None,
        metadata=_about(
            "PEM CA bundle: require client certificates it signed (mutual TLS)", _optional(_path)
        ),
    )
    metrics_port: int | None = field(
        default=None,
        metadata=_about(
            "port of the Prometheus /metrics endpoint (needs prometheus-client); 0 picks a "
            "free port; empty: off",
            _optional(_PORT),
        ),
    )
    metrics_host: str = field(
        default="127.0.0.1",
        metadata=_about(
            "address of the metrics endpoint, which has no authentication: loopback unless "
            "set (0.0.0.0 for all interfaces)",
            _text,
        ),
    )
    grace_period_s: float = field(
        default=10.0,
        metadata=_about("seconds in-flight requests get to finish after SIGTERM", _seconds),
    )
    log_format: str = field(
        default="text", metadata=_about("request log format: text or json", _choice(*LOG_FORMATS))
    )
    log_level: str = field(
        default="info", metadata=_about(f"one of {', '.join(LOG_LEVELS)}", _choice(*LOG_LEVELS))
    )

    def __post_init__(self) -> None:
        # A default that depends on another setting, so a directly built config is complete.
        if self.glossary_dir is None:
            object.__setattr__(self, "glossary_dir", self.home / "glossaries")

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


SETTINGS = {setting.name: setting for setting in fields(ServerConfig)}


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
