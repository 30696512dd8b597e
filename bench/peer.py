"""tarjama and LibreTranslate side by side on the same model (tarjama issue 16, item 4).

Installs LibreTranslate from PyPI in a virtual environment of its own (``_peer_setup.py``),
serves the benchmark's random-weight model through it as an argos package, and measures
it against the tarjama server (started as ``run.py`` starts it) on the same sentences at
1, 8 and 32 closed-loop one-sentence clients. Raw CTranslate2 blocks are measured between
the scenarios (``_reference.py``), so every ratio is taken against the raw engine measured
just before and after it: wall-clock, and per CPU-second of the server process.

Both servers decode exactly the same work: beam 4, int8, ``intra_threads`` = cores, and the
benchmark's fixed output length. LibreTranslate's ``translate_batch`` call takes no
decoding length, so it is started through ``_peer_launch.py``, which subclasses
``ctranslate2.Translator`` to force it. Not part of ``run.py`` or its smoke run.

    python bench/peer.py [--work DIR] [--out DIR] [--smoke]

``--work`` keeps the peer's venv, data and logs (default: a temporary folder, removed at
the end; give a folder to reuse the install). ``--smoke``: the tiny model, one request per
client, to check that the peer serves.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/peer.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

from bench import _report as rep  # noqa: E402
from bench._load import LoadResult, run_clients  # noqa: E402
from bench._peer_load import run_http_clients  # noqa: E402
from bench._peer_setup import LibreTranslateProcess, PeerHome  # noqa: E402
from bench._processes import ServerProcess  # noqa: E402
from bench._raw import Decoding, RawEngine  # noqa: E402
from bench._reference import RawReference, spread  # noqa: E402
from bench._report import seconds  # noqa: E402
from bench._workload import SentencePool  # noqa: E402
from bench.make_model import FULL, SMOKE, ensure_model  # noqa: E402
from bench.run import BEAM_SIZE, LENGTH_FACTOR, RAW_BATCH  # noqa: E402

REQUESTS_PER_CLIENT = {1: 8, 8: 3, 32: 2}
SMOKE_REQUESTS = {1: 1, 8: 1, 32: 1}
BLOCK_BATCHES = 2  # timed raw batches of RAW_BATCH per reference block


@dataclass(frozen=True)
class Side:
    """One server under test: how to load it and where its batches are recorded."""

    name: str
    load: Callable[[list[list[str]]], LoadResult]
    batch_sizes: Callable[[], list[int]]


class PeerBenchmark:
    def __init__(self, peer: PeerHome, out: Path, smoke: bool) -> None:
        self.peer, self.out, self.smoke = peer, out, smoke
        self.requests = SMOKE_REQUESTS if smoke else REQUESTS_PER_CLIENT
        self.cores = os.cpu_count() or 1
        self.sentences = SentencePool(seed=21)  # not run.py's seeds: new sentences
        self.results: dict[str, Any] = {"mode": "smoke" if smoke else "full"}

    def prepare(self) -> None:
        self.model_dir = ensure_model(SMOKE if self.smoke else FULL)
        sample = RawEngine(self.model_dir, Decoding(BEAM_SIZE, 1, 1)).pieces(
            SentencePool(seed=2).take(200)
        )
        mean_tokens = statistics.mean(len(pieces) for pieces in sample)
        # The decoding run.py uses: every path decodes the same fixed number of tokens.
        self.decoding = Decoding(BEAM_SIZE, max(1, round(LENGTH_FACTOR * mean_tokens)), self.cores)
        self.engine = RawEngine(self.model_dir, self.decoding)
        self.reference = RawReference(self.engine, self.sentences.take, RAW_BATCH, BLOCK_BATCHES)
        started = time.perf_counter()
        installed = self.peer.ensure_venv()
        self.peer.install_packages(self.model_dir, self.cores)
        manifest = json.loads((self.model_dir / "manifest.json").read_text(encoding="utf-8"))
        self.results["model"] = {
            "directory": self.model_dir.name,
            "architecture": manifest["architecture"],
            "mean_source_tokens": round(mean_tokens, 1),
            "decode_length": self.decoding.length,
            "beam_size": BEAM_SIZE,
            "intra_threads": self.cores,
        }
        self.results["peer"] = {
            "versions": self.peer.version(),
            "installed_now": installed,
            "install_seconds": round(time.perf_counter() - started, 1),
        }

    def run(self) -> None:
        self.results["machine"] = rep.machine()
        started = time.perf_counter()
        self.prepare()
        home = self.peer.root / "tarjama-home"
        home.mkdir(parents=True, exist_ok=True)
        tarjama = ServerProcess(self.model_dir, home, self.decoding, self.peer.root / "tarjama.log")
        try:
            libre = LibreTranslateProcess(self.peer, _free_port(), self.decoding.length, self.cores)
        except BaseException:
            tarjama.kill()
            raise
        self.results["peer"]["startup_seconds"] = round(libre.startup_s, 1)
        try:
            ours = partial(run_clients, tarjama.address, server_cpu=tarjama.cpu_seconds)
            theirs = partial(run_http_clients, libre.url, server_cpu=libre.cpu_seconds)
            sides = [
                Side("tarjama", ours, tarjama.batch_sizes),
                Side("LibreTranslate", theirs, libre.batch_sizes),
            ]
            for side in sides:  # first calls allocate; keep them out of the clock
                side.load([self.sentences.take(2)])
            self.results["scenarios"] = [self.scenario(clients, sides) for clients in self.requests]
        finally:
            libre.stop()
            tarjama.stop()
        self.results["raw"] = self.reference.summary()
        self.results["seconds"] = round(time.perf_counter() - started, 1)
        self.results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    def scenario(self, clients: int, sides: list[Side]) -> dict[str, Any]:
        """Both servers on the same sentences, each bracketed by raw blocks."""
        work = [self.sentences.take(self.requests[clients]) for _ in range(clients)]
        measured: dict[str, Any] = {"clients": clients}
        for side in sides:
            before = len(side.batch_sizes())
            load, reference = self.reference.bracket(partial(side.load, work))
            batches = side.batch_sizes()[before:]
            cpu_ratio = None
            if load.server_cpu_s:
                raw_cpu = self.reference.cpu_seconds_per_sentence
                cpu_ratio = raw_cpu * load.sentences / load.server_cpu_s
            measured[side.name] = {
                "sentences": load.sentences,
                "seconds": round(load.seconds, 3),
                "sentences_per_s": round(load.sentences_per_s, 3),
                "p50_s": round(load.p50, 4),
                "p95_s": round(load.p95, 4),
                "server_cpu_s": None if load.server_cpu_s is None else round(load.server_cpu_s, 2),
                "raw_reference_sentences_per_s": round(reference, 3),
                "ratio_to_raw": round(load.sentences_per_s / reference, 3),
                "cpu_ratio_to_raw": None if cpu_ratio is None else round(cpu_ratio, 3),
                "batches": batches,
                "mean_batch": round(statistics.mean(batches), 1) if batches else 0,
            }
        return measured

    def markdown(self) -> str:
        model, peer = self.results["model"], self.results["peer"]
        raw = self.results["raw"]
        lines = [
            f"tarjama against {peer['versions']} on the same model ({model['architecture']}, "
            f"int8, beam {BEAM_SIZE}, intra_threads {self.cores}), "
            f"{model['decode_length']} target tokens decoded per sentence on both sides; raw "
            f"CTranslate2 batch {RAW_BATCH}: {statistics.mean(raw['rates']):.2f} sentences/s "
            f"(mean of {len(raw['rates'])} blocks, {spread(raw['rates'])}). Load average "
            f"{self.results['machine']['load_average_at_start'][0]} at start, "
            f"{self.results['load_average_at_end'][0]} at end; {self.results['seconds']} s.",
            "",
            "| clients | tarjama | ratio to raw (CPU) | LibreTranslate | ratio to raw (CPU) "
            "| tarjama ÷ LibreTranslate (CPU) |",
            "|---|---|---|---|---|---|",
        ]
        for scenario in self.results["scenarios"]:
            ours, theirs = scenario["tarjama"], scenario["LibreTranslate"]
            lines.append(
                f"| {scenario['clients']} | {_measured(ours)} | {_ratios(ours)} | "
                f"{_measured(theirs)} | {_ratios(theirs)} | {_versus(ours, theirs)} |"
            )
        return "\n".join(lines) + "\n"


def _measured(side: dict[str, Any]) -> str:
    return (
        f"{side['sentences_per_s']:.2f} sentences/s; p50 {seconds(side['p50_s'])}; "
        f"mean batch {side['mean_batch']}"
    )


def _ratios(side: dict[str, Any]) -> str:
    cpu = side["cpu_ratio_to_raw"]
    return f"{side['ratio_to_raw']:.2f}" + ("" if cpu is None else f" ({cpu:.2f})")


def _versus(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    # Each against its own raw bracket, so a neighbour's load between the two cancels out.
    wall = ours["ratio_to_raw"] / theirs["ratio_to_raw"]
    if ours["cpu_ratio_to_raw"] is None or theirs["cpu_ratio_to_raw"] is None:
        return f"{wall:.2f}×"
    return f"{wall:.2f}× ({ours['cpu_ratio_to_raw'] / theirs['cpu_ratio_to_raw']:.2f}×)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, help="the peer's venv, data and logs (default: a temporary folder)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "out" / "peer",
        help="folder for results.json and report.md (default: bench/out/peer)",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny model, one request a client")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tarjama-peer-") as scratch:
        work = args.work or Path(scratch)
        if work.resolve().is_relative_to(ROOT):
            parser.error(f"--work must be outside the repository ({ROOT})")
        bench = PeerBenchmark(PeerHome(work), args.out, args.smoke)
        bench.run()
    table = bench.markdown()
    (args.out / "report.md").write_text(table, encoding="utf-8")
    bench.results["table"] = table
    text = json.dumps(bench.results, indent=2, ensure_ascii=False) + "\n"
    (args.out / "results.json").write_text(text, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
