"""Closed-loop clients against LibreTranslate's HTTP API, shaped like ``_load.run_clients``.

Each client is a thread with its own keep-alive HTTP connection, released together with
the others, sending one-sentence ``POST /translate`` requests back to back. A reply that
is not a translation fails the scenario: a peer that answers errors fast would otherwise
look fast.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from bench._load import CALL_TIMEOUT_S, LoadResult, ScenarioError, ServerCpu
from bench._raw import process_cpu_seconds


class _HttpClient:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        self._connection = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=CALL_TIMEOUT_S
        )

    def translate(self, sentence: str) -> None:
        body = json.dumps({"q": sentence, "source": "ar", "target": "en", "format": "text"})
        self._connection.request(
            "POST", "/translate", body.encode("utf-8"), {"Content-Type": "application/json"}
        )
        reply = self._connection.getresponse()
        payload = reply.read()
        if reply.status != 200:
            raise ScenarioError(f"LibreTranslate answered {reply.status}: {payload[:300]!r}")
        if not json.loads(payload).get("translatedText"):
            raise ScenarioError(f"LibreTranslate answered no translation: {payload[:300]!r}")

    def close(self) -> None:
        self._connection.close()


def run_http_clients(url: str, work: Sequence[Sequence[str]], server_cpu: ServerCpu) -> LoadResult:
    """One client thread per entry of ``work``, each translating its sentences in turn."""
    clients = [_HttpClient(url) for _ in work]
    start = threading.Barrier(len(work) + 1)
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(client: _HttpClient, sentences: Sequence[str]) -> None:
        start.wait()
        for sentence in sentences:
            began = time.perf_counter()
            try:
                client.translate(sentence)
            except Exception as error:  # the scenario fails with the first one
                with lock:
                    failures.append(error)
                return
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [
        threading.Thread(target=run, args=(client, sentences), daemon=True)
        for client, sentences in zip(clients, work, strict=True)
    ]
    for thread in threads:
        thread.start()
    cpu_before, server_before = process_cpu_seconds(), server_cpu()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    cpu, server_after = process_cpu_seconds() - cpu_before, server_cpu()
    for client in clients:
        client.close()
    if failures:
        raise ScenarioError(f"{len(failures)} requests failed; first: {failures[0]!r}")
    server = None if server_before is None or server_after is None else server_after - server_before
    return LoadResult(
        clients=len(work),
        sentences=len(latencies),
        seconds=seconds,
        latencies=tuple(sorted(latencies)),
        client_cpu_s=cpu,
        server_cpu_s=server,
    )
