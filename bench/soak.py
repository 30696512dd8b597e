"""Soak: a bounded mixed load of good and bad requests against a real `tarjama serve`.

Starts the server in a child process on the trained test model (tests/data/test-model),
then runs a fixed number of client threads for N minutes. Each thread sends one request
at a time, drawn from a fixed mix: documents of 1-8 fresh sentences (so the sentence
cache fills to its cap and then evicts), repeated sentences (cache hits), short streams,
and requests the server must refuse (empty text, unknown glossary, a beam over the
limit, invalid inline terms, invalid UTF-8, a text over the character limit, a message
over the size limit, a deadline too short to meet). Reports requests by kind and status
code, latency percentiles of the good ones, and the server's resident memory over time,
so that growth beyond the cache's cap shows.

    python bench/soak.py --minutes 2 [--clients 8] [--cache-entries 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script, only bench/ is on the path
    sys.path.insert(0, str(ROOT))

from tarjama.v1 import translator_pb2 as pb  # noqa: E402
from tarjama.v1 import translator_pb2_grpc as pb_grpc  # noqa: E402
from tests.builders import corpus  # noqa: E402

MODEL_DIR = ROOT / "tests" / "data" / "test-model"
CONSOLE_SCRIPT = "import sys; from tarjama.client.cli import main; sys.exit(main())"
MAX_CHARACTERS = 20_000  # the server's limit here, so over-limit texts stay cheap to send
MAX_MESSAGE_BYTES = 256 * 1024
CALL_TIMEOUT_S = 60.0
RSS_EVERY_S = 5.0
INVALID_UTF8 = b"\x0a\x04\xd8\xa3\xff\xfe"  # TranslateRequest.text: 4 bytes, not UTF-8

# (kind, weight): about one request in four is bad.
MIX = (
    ("document", 40),
    ("repeat", 20),
    ("stream", 8),
    ("empty", 4),
    ("unknown-glossary", 4),
    ("beam-too-large", 4),
    ("bad-term", 4),
    ("invalid-utf8", 4),
    ("too-many-characters", 4),
    ("message-too-large", 2),
    ("deadline", 6),
)
GOOD_KINDS = frozenset({"document", "repeat", "stream"})


@dataclass
class Tally:
    """What the clients saw; one lock, since every thread adds to it."""

    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    good_latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: str, milliseconds: float) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1
            if kind in GOOD_KINDS and status == "OK":
                self.good_latencies_ms.append(milliseconds)


class Server:
    """`tarjama serve` on the test model, in a child process; its log is drained."""

    def __init__(self, home: Path, cache_entries: int) -> None:
        command = [
            sys.executable, "-c", CONSOLE_SCRIPT, "serve", "--model", str(MODEL_DIR),
            "--host", "127.0.0.1", "--port", "0", "--log-format", "json",
            "--cache-entries", str(cache_entries), "--max-characters", str(MAX_CHARACTERS),
            "--max-message-bytes", str(MAX_MESSAGE_BYTES), "--glossary-check-ms", "0",
        ]  # fmt: skip
        environment = {**os.environ, "TARJAMA_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command, env=environment, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        self.errors: list[str] = []  # log lines at warning or above (bounded)
        ports: queue.Queue[int] = queue.Queue()
        threading.Thread(target=self._drain, args=(ports,), daemon=True).start()
        self.port = ports.get(timeout=120)

    def _drain(self, ports: queue.Queue[int]) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                entry = {"level": "error", "message": line.strip()}
            if "port" in entry:
                ports.put(int(entry["port"]))
            if entry.get("level") in ("warning", "error", "critical") and len(self.errors) < 50:
                self.errors.append(str(entry.get("message"))[:200])

    def rss_mib(self) -> float | None:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=60)


def _requests(seed: int) -> Iterator[list[str]]:
    """Fresh documents of 1-8 sentences, never repeating, for as long as asked."""
    rng = random.Random(seed)
    batch = 0
    while True:
        pairs = corpus.generate(500, seed=seed * 1000 + batch)
        batch += 1
        sources = [pair.source for pair in pairs]
        while len(sources) >= 8:
            size = rng.randint(1, 8)
            yield [sources.pop() for _ in range(size)]


class Client:
    """One thread's connection and request maker."""

    def __init__(self, address: str, number: int) -> None:
        self.channel = grpc.insecure_channel(
            address, options=[("grpc.max_send_message_length", 4 * MAX_MESSAGE_BYTES)]
        )
        self.stub = pb_grpc.TranslatorStub(self.channel)
        self.raw = self.channel.unary_unary("/tarjama.v1.Translator/Translate")
        self.fresh = _requests(number + 1)
        self.repeated = next(self.fresh)[:2]

    def send(self, kind: str) -> None:
        """Sends one request of ``kind``; raises grpc.RpcError when it fails."""
        translate: Callable[..., object] = self.stub.Translate
        request = pb.TranslateRequest
        timeout = CALL_TIMEOUT_S
        if kind == "document":
            translate(request(text="\n".join(next(self.fresh))), timeout=timeout)
        elif kind == "repeat":
            translate(request(text="\n".join(self.repeated)), timeout=timeout)
        elif kind == "stream":
            documents = [request(text="\n".join(next(self.fresh))) for _ in range(3)]
            for _ in self.stub.TranslateStream(iter(documents), timeout=timeout):
                pass
        elif kind == "empty":
            translate(request(text="  "), timeout=timeout)
        elif kind == "unknown-glossary":
            translate(request(text="قال بوتين.", glossaries=["no-such-desk"]), timeout=timeout)
        elif kind == "beam-too-large":
            options = pb.TranslateOptions(beam_size=99)
            translate(request(text="قال بوتين.", options=options), timeout=timeout)
        elif kind == "bad-term":
            terms = [pb.Term(source=["Tadmur"], target="Palmyra")]
            translate(request(text="في تدمر.", terms=terms), timeout=timeout)
        elif kind == "invalid-utf8":
            self.raw(INVALID_UTF8, timeout=timeout)
        elif kind == "too-many-characters":
            translate(request(text="قال بوتين. " * (MAX_CHARACTERS // 10)), timeout=timeout)
        elif kind == "message-too-large":
            translate(request(text="ب" * MAX_MESSAGE_BYTES), timeout=timeout)
        elif kind == "deadline":
            translate(request(text="\n".join(next(self.fresh))), timeout=0.001)
        else:
            raise ValueError(kind)


def run_client(address: str, number: int, end: float, tally: Tally, stop: threading.Event) -> None:
    client = Client(address, number)
    rng = random.Random(number)
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    try:
        while time.monotonic() < end and not stop.is_set():
            kind = rng.choices(kinds, weights)[0]
            started = time.perf_counter()
            try:
                client.send(kind)
                status = "OK"
            except grpc.RpcError as error:
                status = error.code().name  # type: ignore[attr-defined]
            tally.add(kind, status, (time.perf_counter() - started) * 1000)
    finally:
        client.channel.close()


def wait_until_serving(address: str, timeout: float = 120.0) -> None:
    serving = health_pb2.HealthCheckResponse.SERVING
    end = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < end:
            request = health_pb2.HealthCheckRequest()
            if health.Check(request, timeout=5, wait_for_ready=True).status == serving:
                return
            time.sleep(0.2)
    raise TimeoutError(f"the server at {address} was not serving after {timeout:g} s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(tally: Tally, rss: list[tuple[float, float]], minutes: float, clients: int) -> str:
    total = sum(tally.statuses.values())
    lines = [
        f"{total} requests in {minutes:g} min from {clients} clients "
        f"({total / (minutes * 60):.1f}/s)",
        "",
        "| kind | status | requests |",
        "|---|---|---|",
    ]
    for (kind, status), count in sorted(tally.statuses.items()):
        lines.append(f"| {kind} | {status} | {count} |")
    by_status = Counter[str]()
    for (_, status), count in tally.statuses.items():
        by_status[status] += count
    lines += ["", "| status | requests |", "|---|---|"]
    lines += [f"| {status} | {count} |" for status, count in by_status.most_common()]
    latencies = tally.good_latencies_ms
    lines += [
        "",
        f"good requests answered OK: {len(latencies)}; latency ms p50 "
        f"{percentile(latencies, 0.5):.0f}, p90 {percentile(latencies, 0.9):.0f}, "
        f"p99 {percentile(latencies, 0.99):.0f}, max {max(latencies, default=0):.0f}",
        "",
        "| minute | server RSS MiB |",
        "|---|---|",
    ]
    lines += [f"| {seconds / 60:.1f} | {mib:.0f} |" for seconds, mib in rss]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cache-entries", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tarjama-soak-") as home:
        server = Server(Path(home), args.cache_entries)
        address = f"127.0.0.1:{server.port}"
        wait_until_serving(address)
        tally, stop = Tally(), threading.Event()
        started = time.monotonic()
        end = started + args.minutes * 60
        threads = [
            threading.Thread(target=run_client, args=(address, n, end, tally, stop), daemon=True)
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        rss: list[tuple[float, float]] = []
        try:
            while any(thread.is_alive() for thread in threads):
                if (mib := server.rss_mib()) is not None:
                    rss.append((time.monotonic() - started, mib))
                time.sleep(RSS_EVERY_S)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=CALL_TIMEOUT_S)
            exit_code = server.stop()
    print(report(tally, rss[:: max(1, len(rss) // 12)], args.minutes, args.clients))
    example = f" e.g. {server.errors[0]}" if server.errors else ""
    print(
        f"\nserver exit code after SIGTERM: {exit_code}; warnings/errors logged: "
        f"{len(server.errors)}{example}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "statuses": {f"{k}/{s}": n for (k, s), n in tally.statuses.items()},
                    "good_latencies_ms": tally.good_latencies_ms,
                    "rss_mib": rss,
                    "server_exit_code": exit_code,
                    "server_errors": server.errors,
                }
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
