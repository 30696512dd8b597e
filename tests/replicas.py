"""Replicas of `tarjama serve` as child processes, and load to send them, for the deploy tests.

Each replica is the real `tarjama serve` (so SIGTERM, kill -9 and its request log are
the real ones) over the trained test model, with a home of its own and, as in a
deployment, one glossary folder shared by all. Its log is JSON, one line per call, which
is how a test tells which replica served what.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tarjama.client import Translator
from tarjama.client.errors import TarjamaError

TEST_MODEL = Path(__file__).resolve().parent / "data" / "test-model"
# Sentences of the test model's domain: it translates them quickly and without rambling.
SENTENCES = (
    "ورفض كيري التعليق على هذا التقرير.",
    "وقال الناطق الرئاسي ديمتري بيسكوف إن روسيا تؤيد فكرة تنسيق الجهود مع الولايات المتحدة.",
    "وأعلنت وزارة الدفاع الروسية أمس أن الطيران الروسي شن 40 غارة على مواقع «داعش».",
)
STARTUP_S = 60.0


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    log_path: Path
    host: str
    port: int = 0

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def log(self) -> list[dict[str, object]]:
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def calls(self, method: str = "Translate", status: str = "OK") -> int:
        """Calls of ``method`` this replica answered with ``status``."""
        return sum(1 for e in self.log() if e.get("method") == method and e["status"] == status)

    def wait_for(self, message: str, timeout: float = STARTUP_S) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.log():
                if str(entry["message"]).startswith(message):
                    return entry
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.log_path.read_text(encoding="utf-8")[-2000:]
        raise AssertionError(f"replica never logged {message!r}; its log ends:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_replica(
    home: Path, glossary_dir: Path, *, host: str = "127.0.0.1", port: int = 0, **settings: object
) -> Replica:
    """A started replica, once it serves (its model and glossaries loaded)."""
    home.mkdir(parents=True, exist_ok=True)
    flags = {
        "home": home,
        "glossary_dir": glossary_dir,
        "model": TEST_MODEL,
        "host": host,
        "port": port,
        "beam_size": 1,
        "log_format": "json",
        "grace_period_s": 10,
    } | settings
    command = [sys.executable, "-m", "tarjama.client.cli", "serve"]
    for name, value in flags.items():
        command += ["--" + name.replace("_", "-"), str(value)]
    # The replica's settings are the flags alone, whatever this process's environment says.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TARJAMA_")}
    log_path = home / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, env=environment
        )
    replica = Replica(process, log_path, host)
    try:
        listening = replica.wait_for("listening on")
        replica.port = int(str(listening["port"]))
        replica.wait_for("serving ")
    except BaseException:
        replica.stop()
        raise
    return replica


@contextmanager
def replicas(root: Path, count: int = 2, **settings: Any) -> Iterator[list[Replica]]:
    """``count`` replicas sharing ``root/glossaries``, started one after the other so that
    only the first seeds the bundled glossary into the shared folder."""
    started: list[Replica] = []
    try:
        for number in range(1, count + 1):
            started.append(
                start_replica(root / f"replica-{number}", root / "glossaries", **settings)
            )
        yield started
    finally:
        for replica in started:
            replica.stop()


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` now, for a proxy that cannot report the one it was given."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
    raise AssertionError(f"nothing listens on {host}:{port}; the log ends:\n{tail}")


@dataclass
class Load:
    """Translate calls sent from a few threads until :meth:`finish`; counts what came back."""

    address: str
    threads: int = 6
    done: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._workers = [
            threading.Thread(target=self._work, args=(n,), daemon=True) for n in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()

    def _work(self, number: int) -> None:
        with Translator(self.address, timeout=30) as translator:
            sent = 0
            while not self._stop.is_set():
                text = " ".join(SENTENCES[(number + sent) % len(SENTENCES) :])
                sent += 1
                try:
                    # skip_cache: every call does real work on the replica that gets it.
                    translator.translate(text, skip_cache=True, request_id=f"{number}-{sent}")
                except TarjamaError as error:
                    code = error.code.name if error.code else "no status"
                    with self._lock:
                        self.failures.append(f"{code}: {error.details or error}")
                    continue
                with self._lock:
                    self.done += 1

    def wait_until(self, done: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.done < done:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.done} of {done} calls done: {self.failures}")
            time.sleep(0.02)

    def finish(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(60)


class HeldStream:
    """Two documents on one stream, the second sent only on :meth:`release`: a call that
    stays in flight for as long as a test needs (across a SIGTERM, say)."""

    def __init__(self) -> None:
        self._gate = threading.Event()

    def documents(self) -> Iterator[str]:
        yield SENTENCES[0]
        self._gate.wait(30)
        yield SENTENCES[1]

    def release(self) -> None:
        self._gate.set()


def spread(replicas: Sequence[Replica]) -> list[int]:
    return [replica.calls() for replica in replicas]
