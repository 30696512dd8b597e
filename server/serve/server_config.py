"""The server's settings: one frozen dataclass, each field documented and parsed.

Each field's metadata holds its help text and its parser (:mod:`config_parsers`);
:mod:`tarjama.server.serve.config` reads the sources and builds the object.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from tarjama.server.serve.config_parsers import (
    COMPUTE_TYPES,
    DEVICES,
    LOG_FORMATS,
    LOG_LEVELS,
    OTEL_EXPORTERS,
    about,
    bearer_token,
    choice,
    glossary_names,
    integer,
    optional,
    path,
    physical_cores,
    seconds,
    text,
)
from tarjama.server.stores.home import default_home
from tarjama.server.translate.options import EngineOptions

_PORT = integer(0, 65535)
_ENGINE = EngineOptions()  # the engine's defaults are the server's
_POSITIVE = integer(1)


@dataclass(frozen=True)
class ServerConfig:
    """Everything `tarjama serve` needs, validated; see the module docstring for sources."""

    host: str = field(
        default="localhost",
        metadata=about("address to listen on (0.0.0.0 or [::] for all)", text),
    )
    port: int = field(
        default=50051, metadata=about("port to listen on; 0 picks a free port", _PORT)
    )
    home: Path = field(
        default_factory=default_home,
        metadata=about(
            "tarjama's data folder (models, glossaries); default: the user data dir", path
        ),
    )
    model: str = field(
        default="",
        metadata=about(
            "model to serve: an installed model's name or a model folder; default: the "
            "model store's default model",
            text,
        ),
    )
    glossary_dir: Path = field(
        default=None,  # type: ignore[assignment]  # <home>/glossaries, set in __post_init__
        metadata=about(
            "folder of glossary YAML files; default: <home>/glossaries, seeded with the "
            "bundled `news` glossary when empty",
            path,
        ),
    )
    default_glossaries: tuple[str, ...] = field(
        default=("news",),
        metadata=about(
            "glossaries applied when a request names none (comma-separated)", glossary_names
        ),
    )
    device: str = field(
        default=_ENGINE.device,
        metadata=about(f"CTranslate2 device: {', '.join(DEVICES)}", choice(*DEVICES)),
    )
    compute_type: str = field(
        default=_ENGINE.compute_type,
        metadata=about(
            "CTranslate2 compute type (int8 is the fast choice on CPU)", choice(*COMPUTE_TYPES)
        ),
    )
    inter_threads: int = field(
        default=_ENGINE.inter_threads,
        metadata=about("batches CTranslate2 translates in parallel", _POSITIVE),
    )
    intra_threads: int = field(
        default_factory=physical_cores,  # measured fastest; the engine alone keeps 0
        metadata=about(
            "threads per batch; default: this machine's physical cores; 0 lets CTranslate2 "
            "choose (4)",
            integer(0),
        ),
    )
    beam_size: int = field(
        default=_ENGINE.beam_size,
        metadata=about("default beam width (requests may ask for another)", _POSITIVE),
    )
    max_batch_tokens: int = field(
        default=4096,
        metadata=about("source tokens per batch the batcher hands to CTranslate2", _POSITIVE),
    )
    max_batch_sentences: int = field(
        default=32,  # faster per sentence than 64 on a 2-core CPU (bench/RESULTS.md)
        metadata=about("sentences per batch the batcher hands to CTranslate2", _POSITIVE),
    )
    max_wait_ms: int = field(
        default=5,
        metadata=about(
            "how long the batcher waits for more sentences before translating", integer(0)
        ),
    )
    max_queue_sentences: int = field(
        default=10_000,
        metadata=about(
            "sentences waiting in the queue before requests get RESOURCE_EXHAUSTED", _POSITIVE
        ),
    )
    batch_workers: int = field(
        default=1, metadata=about("threads feeding batches to CTranslate2", _POSITIVE)
    )
    max_characters: int = field(
        default=100_000, metadata=about("code points per request", _POSITIVE)
    )
    max_sentences: int = field(
        default=2_000, metadata=about("sentences per request after segmentation", _POSITIVE)
    )
    max_inline_terms: int = field(
        default=1_000, metadata=about("inline terms per request", integer(0))
    )
    max_message_bytes: int = field(
        default=4 * 1024 * 1024,
        metadata=about("largest gRPC message the server accepts", integer(1024)),
    )
    max_beam_size: int = field(
        default=16, metadata=about("largest beam a request may ask for", _POSITIVE)
    )
    max_concurrent_streams: int = field(
        default=1024,
        metadata=about("concurrent calls per client connection (HTTP/2 streams)", _POSITIVE),
    )
    rpc_threads: int = field(
        default=128,
        metadata=about(
            "threads serving calls; each waits while its sentences are translated", _POSITIVE
        ),
    )
    max_concurrent_calls: int = field(
        default=1024,
        metadata=about(
            "calls running or waiting for a thread; beyond it calls get RESOURCE_EXHAUSTED "
            "at once instead of queueing without bound",
            _POSITIVE,
        ),
    )
    max_connection_age_ms: int | None = field(
        # Long-lived clients re-resolve DNS (and so reach new replicas) only when they
        # reconnect; five minutes costs one reconnect per client per five minutes.
        default=300_000,
        metadata=about(
            "after this long (give or take a tenth) a client connection is asked to "
            "reconnect, so clients re-resolve DNS and reach new replicas; calls in flight "
            "finish; empty: never",
            optional(integer(1)),
        ),
    )
    max_connection_age_grace_ms: int | None = field(
        default=None,
        metadata=about(
            "how long calls still running on an aged connection may take before it is "
            "closed under them; empty: as long as they need (a TranslateStream may be long)",
            optional(integer(0)),
        ),
    )
    stream_read_ahead: int = field(
        default=8,
        metadata=about(
            "requests of one TranslateStream translated ahead of the client reading", _POSITIVE
        ),
    )
    cache_entries: int = field(
        default=10_000,
        metadata=about("translated sentences kept in the cache; 0 turns it off", integer(0)),
    )
    glossary_check_ms: int = field(
        default=1000,
        metadata=about(
            "how often glossary files are checked for edits on disk, at most", integer(0)
        ),
    )
    auth_token: str = field(
        default="",
        repr=False,
        metadata=about("bearer token glossary writes need; empty: writes are open", bearer_token),
    )
    auth_token_file: Path | None = field(
        default=None,
        metadata=about("file holding the bearer token (read once at start)", optional(path)),
    )
    tls_cert: Path | None = field(
        default=None, metadata=about("PEM certificate chain: serve TLS", optional(path))
    )
    tls_key: Path | None = field(
        default=None, metadata=about("PEM private key of tls_cert", optional(path))
    )
    tls_client_ca: Path | None = field(
        default=None,
        metadata=about(
            "PEM CA bundle: require client certificates it signed (mutual TLS)", optional(path)
        ),
    )
    metrics_port: int | None = field(
        default=None,
        metadata=about(
            "port of the Prometheus /metrics endpoint (needs prometheus-client); 0 picks a "
            "free port; empty: off",
            optional(_PORT),
        ),
    )
    metrics_host: str = field(
        default="127.0.0.1",
        metadata=about(
            "address of the metrics endpoint, which has no authentication: loopback unless "
            "set (0.0.0.0 for all interfaces)",
            text,
        ),
    )
    otel_exporter: str = field(
        default="none",
        metadata=about(
            "OpenTelemetry traces of every call and its stages: none (off), console "
            "(stdout), otlp (OTEL_EXPORTER_OTLP_* set the endpoint); needs tarjama[otel]",
            choice(*OTEL_EXPORTERS),
        ),
    )
    grace_period_s: float = field(
        default=10.0,
        metadata=about("seconds in-flight requests get to finish after SIGTERM", seconds),
    )
    log_format: str = field(
        default="text", metadata=about("request log format: text or json", choice(*LOG_FORMATS))
    )
    log_level: str = field(
        default="info", metadata=about(f"one of {', '.join(LOG_LEVELS)}", choice(*LOG_LEVELS))
    )

    def __post_init__(self) -> None:
        # A default that depends on another setting, so a directly built config is complete.
        if self.glossary_dir is None:
            object.__setattr__(self, "glossary_dir", self.home / "glossaries")

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


SETTINGS = {setting.name: setting for setting in fields(ServerConfig)}
