"""The server's log: plain text lines or one JSON object per line, and the request log
line every call ends with."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tarjama.server.serve.config import ServerConfig
from tarjama.server.serve.messages import RpcFailure
from tarjama.server.serve.metrics import Metrics, NullMetrics

request_log = logging.getLogger("tarjama.server.requests")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; request lines carry their fields at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(config: ServerConfig) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if config.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.log_level.upper())


@dataclass
class RequestRecord:
    """What the request log line says about one call."""

    method: str
    request_id: str = ""
    sentences: int = 0
    status: str = "OK"


class CallLog:
    """Ends every call with one request log line (text or JSON) and its metrics."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self._metrics = metrics or NullMetrics()

    @contextmanager
    def call(self, record: RequestRecord) -> Iterator[RequestRecord]:
        started = time.perf_counter()
        try:
            yield record
        except RpcFailure as failure:
            record.status = failure.code.name
            raise
        except BaseException:
            if record.status == "OK":  # an abort() sets the status before raising
                record.status = "UNKNOWN"
            raise
        finally:
            self.write(record, time.perf_counter() - started)

    def write(self, record: RequestRecord, seconds: float) -> None:
        fields = {
            "method": record.method,
            "request_id": record.request_id,
            "sentences": record.sentences,
            "ms": round(seconds * 1000, 1),
            "status": record.status,
        }
        request_log.info(
            "%s id=%s sentences=%d ms=%.1f status=%s", *fields.values(), extra={"fields": fields}
        )
        self._metrics.record_request(record.method, record.status, seconds)
