"""The real tarjama server, in-process on a free loopback port, for client-side tests.

It serves the random-weight test model with short greedy decoding: the translations are
arbitrary but everything around them (segmentation, enforced glossary terms, spans,
alignment, glossary storage, auth) is the real code path, and it stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tarjama.server.serve.app import create_server
from tarjama.server.serve.config import ServerConfig
from tarjama.server.translate.engine import Engine, EngineOptions

TOKEN = "client-tests-token"


@contextmanager
def live_server(model_dir: Path, home: Path, **settings: Any) -> Iterator[str]:
    """Yields the address of a started server that needs ``TOKEN`` for glossary writes."""
    engine = Engine(model_dir, EngineOptions(max_decoding_length=16, beam_size=1))
    config = ServerConfig(
        **{"home": home, "host": "127.0.0.1", "port": 0, "beam_size": 1, "auth_token": TOKEN}
        | settings
    )
    with serving(engine, config) as address:
        yield address


@contextmanager
def serving(engine: Engine, config: ServerConfig) -> Iterator[str]:
    """Yields the address of a started server with this engine and configuration (whose
    host must be 127.0.0.1, its port 0 for a free one)."""
    server, port = create_server(config, engine)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None).wait()
