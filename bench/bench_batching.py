"""Cross-request batching in-process: N one-sentence callers through the Batcher versus
one raw ``Engine.translate_batch`` of the same sentences (tarjama issue 5 §2).

No gRPC here: this isolates what the batcher itself costs or wins. Each of N caller
threads sends its one-sentence requests back to back (a closed loop); throughput is
compared with the engine translating the same sentences N at a time, and the p50/p95 of
the callers' latencies with a lone direct one-sentence engine call.

Random-weight models never emit </s>, so every sentence decodes exactly
``max_decoding_length`` target tokens (by default 1.1 x the mean source length) on every
path; a trained model stops earlier, the cap is the same.

    python bench/bench_batching.py MODEL_DIR [--quick] [--clients 1,8,32,64] [--beam 4]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tarjama.server.serve.batcher import Batcher, BatcherOptions
from tarjama.server.translate.engine import Engine, EngineOptions

SEED_ARTICLE = Path(__file__).resolve().parents[1] / "seeds" / "000_5cb57f188978d242.txt"


@dataclass(frozen=True)
class ClientsResult:
    """N concurrent callers against the raw engine translating N sentences per call."""

    clients: int
    sentences: int
    raw_sentences_per_s: float
    batched_sentences_per_s: float
    p50_ms: float
    p95_ms: float
    mean_batch_sentences: float

    @property
    def ratio(self) -> float:
        """Batcher throughput as a share of the raw batched engine's (target ≥ 0.9 at 32+)."""
        return self.batched_sentences_per_s / self.raw_sentences_per_s


@dataclass(frozen=True)
class BatchingReport:
    model: str
    beam_size: int
    decode_length: int
    direct_p50_ms: float  # one sentence straight to the engine, nothing else running
    results: tuple[ClientsResult, ...]

    def single_client_latency_ratio(self) -> float | None:
        """p50 of a lone caller through the batcher over a direct engine call."""
        lone = [r for r in self.results if r.clients == 1]
        return lone[0].p50_ms / self.direct_p50_ms if lone else None

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["results"] = [{**asdict(r), "ratio": round(r.ratio, 3)} for r in self.results]
        data["single_client_latency_ratio"] = self.single_client_latency_ratio()
        return data

    def format(self) -> str:
        lines = [
            f"batching: {self.model}, beam {self.beam_size}, {self.decode_length} target tokens; "
            f"direct one-sentence call p50 {self.direct_p50_ms:.1f} ms",
            "clients  raw sent/s  batcher sent/s  ratio  mean batch  p50 ms  p95 ms",
        ]
        for r in self.results:
            lines.append(
                f"{r.clients:7d}  {r.raw_sentences_per_s:10.1f}  {r.batched_sentences_per_s:14.1f}"
                f"  {r.ratio:5.2f}  {r.mean_batch_sentences:10.1f}  {r.p50_ms:6.1f}"
                f"  {r.p95_ms:6.1f}"
            )
        lone = self.single_client_latency_ratio()
        if lone is not None:
            lines.append(f"one client: p50 {lone:.2f}x a direct engine call")
        return "\n".join(lines)


def news_sentences(count: int, seed: int = 0) -> list[str]:
    """Distinct sentences of seed-article words, with the seed article's sentence lengths
    (distinct, so nothing can be answered twice from anything)."""
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    lengths = [len(s.split()) for s in re.split(r"[.؟!]", text) if len(s.split()) > 2]
    words = [w for w in re.sub(r"[.،:«»()؟!]", " ", text).split() if len(w) > 1]
    rng = random.Random(seed)
    sentences: dict[str, None] = {}
    while len(sentences) < count:
        sentences[" ".join(rng.choices(words, k=rng.choice(lengths)))] = None
    return list(sentences)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _raw_throughput(engine: Engine, sentences: list[str], clients: int, beam: int) -> float:
    encoded = [engine.encode(s) for s in sentences]
    engine.translate_batch(encoded[:clients], beam_size=beam)  # warm-up, not timed
    started = time.perf_counter()
    for start in range(0, len(encoded), clients):
        engine.translate_batch(encoded[start : start + clients], beam_size=beam)
    return len(encoded) / (time.perf_counter() - started)


def _through_batcher(
    engine: Engine, sentences: list[str], clients: int, beam: int
) -> tuple[float, list[float], float]:
    """Sentences/s, per-call latencies (s) and mean batch size for ``clients`` callers."""
    per_client = [sentences[n::clients] for n in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    with Batcher(engine, BatcherOptions(max_batch_sentences=max(64, clients))) as batcher:
        batcher.for_request().translate_batch(sentences[:1], beam_size=beam)  # warm-up
        warm = batcher.stats()

        def caller(number: int) -> None:
            translator = batcher.for_request()
            barrier.wait()
            for sentence in per_client[number]:
                started = time.perf_counter()
                translator.translate_batch([sentence], beam_size=beam)
                latencies[number].append(time.perf_counter() - started)

        threads = [threading.Thread(target=caller, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        stats = batcher.stats()
    batches = stats.batches - warm.batches
    mean_batch = (stats.sentences_translated - warm.sentences_translated) / batches
    return len(sentences) / seconds, [t for ts in latencies for t in ts], mean_batch


def run(
    model_dir: str | Path,
    clients: Sequence[int] = (1, 8, 32, 64),
    quick: bool = False,
    *,
    beam_size: int = 4,
    decode_length: int | None = None,
) -> BatchingReport:
    """Measures every client count in one run; ``quick`` sends 2 sentences per caller
    instead of 6 (a smoke check of the benchmark, not a measurement to quote)."""
    rounds = 2 if quick else 6
    probe = Engine(model_dir)
    sample = news_sentences(50, seed=1)
    if decode_length is None:
        mean_tokens = statistics.mean(len(probe.encode(s).tokens) for s in sample)
        decode_length = round(1.1 * mean_tokens)
    engine = Engine(
        model_dir, EngineOptions(beam_size=beam_size, max_decoding_length=decode_length)
    )
    direct = []
    engine.translate_batch(sample[:1])  # warm-up
    for sentence in sample[: 5 if quick else 20]:
        started = time.perf_counter()
        engine.translate_batch([sentence])
        direct.append(time.perf_counter() - started)
    results = []
    for count in clients:
        sentences = news_sentences(count * rounds, seed=count)
        raw = _raw_throughput(engine, sentences, count, beam_size)
        batched, latencies, mean_batch = _through_batcher(engine, sentences, count, beam_size)
        results.append(
            ClientsResult(
                clients=count,
                sentences=len(sentences),
                raw_sentences_per_s=raw,
                batched_sentences_per_s=batched,
                p50_ms=1000 * statistics.median(latencies),
                p95_ms=1000 * _percentile(latencies, 0.95),
                mean_batch_sentences=mean_batch,
            )
        )
    return BatchingReport(
        model=engine.manifest.name,
        beam_size=beam_size,
        decode_length=decode_length,
        direct_p50_ms=1000 * statistics.median(direct),
        results=tuple(results),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path, help="an installed model directory")
    parser.add_argument("--quick", action="store_true", help="2 sentences per caller, not 6")
    parser.add_argument("--clients", default="1,8,32,64", help="comma-separated caller counts")
    parser.add_argument("--beam", type=int, default=4, help="beam size (default 4)")
    parser.add_argument("--json", type=Path, help="also write the report here as JSON")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.clients.split(",")]
    report = run(args.model_dir, counts, args.quick, beam_size=args.beam)
    print(report.format())
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
