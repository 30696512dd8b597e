"""What tracing costs: the same calls with OpenTelemetry not installed, installed but off,
and on, side by side.

Each mode runs in a process of its own (OpenTelemetry "not installed" is a process where
importing it fails), in rounds that rotate the order of the modes so that a change in the
machine's load falls on all three. In each process:

- an empty stage: the span alone with an attribute at its start and one at its end;
- the stages alone: ``segment`` of the seed article and ``Matcher.find`` over its sentences
  with the news glossary, microseconds per call;
- calls: an in-process server on the trained test model (tests/data/test-model, sentence
  cache off) translating the seed article, one call at a time, from a plain client; wall
  and CPU time per call.

"on" is a server handed an SDK tracer provider whose batch span processor exports to an
exporter that drops the spans (the cost of recording and queueing them, not of a network).

    python bench/tracing.py [--rounds 3] [--calls 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "tests" / "data" / "test-model"
SEED = ROOT / "seeds" / "000_5cb57f188978d242.txt"
MODES = ("absent", "off", "on")


def child(mode: str, calls: int, home: Path) -> dict[str, Any]:
    """One mode's measurements, in this process."""
    if mode == "absent":
        sys.modules["opentelemetry"] = None  # type: ignore[assignment]  # import fails
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tarjama.client import Translator
    from tarjama.glossary import Matcher
    from tarjama.glossary.bundled import bundled_glossary_path
    from tarjama.glossary.yaml_io import load_glossary
    from tarjama.server.serve.app import create_server
    from tarjama.server.serve.config import ServerConfig
    from tarjama.server.translate.segment import segment
    from tarjama.tracing import stage, use_tracer_provider

    text = SEED.read_text(encoding="utf-8")
    sentences = [text[s.start : s.end] for s in segment(text)]
    news = bundled_glossary_path("news")
    assert news is not None
    matcher = Matcher([("news", load_glossary(news))])
    provider = _dropping_provider() if mode == "on" else None
    if provider is not None:
        use_tracer_provider(provider)  # as the server does when it starts
    figures: dict[str, Any] = {"mode": mode, "sentences": len(sentences)}
    figures["stage_us"] = _per_call_us(lambda: _empty_stage(stage), 20_000)
    figures["segment_us"] = _per_call_us(lambda: segment(text), 200)
    figures["find_us"] = _per_call_us(lambda: [matcher.find(s) for s in sentences], 50)
    figures["find_us"] /= len(sentences)

    config = ServerConfig(
        home=home, host="127.0.0.1", port=0, model=str(MODEL_DIR), cache_entries=0
    )
    server, port = create_server(config, tracer_provider=provider)
    server.start()
    try:
        with Translator(f"127.0.0.1:{port}") as translator:
            translator.translate(text)  # warm up
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                translator.translate(text)
            figures["call_ms"] = (time.perf_counter() - wall) * 1000 / calls
            figures["call_cpu_ms"] = (time.process_time() - cpu) * 1000 / calls
    finally:
        server.stop(None).wait()
    return figures


def _empty_stage(stage: Any) -> None:
    """What a stage adds around its work: the span, one attribute at start, one at end."""
    with stage("bench.stage", {"tarjama.characters": 1}) as span:
        span.set_attribute("tarjama.sentences", 1)


def _per_call_us(work: Any, repeats: int) -> float:
    work()
    started = time.perf_counter()
    for _ in range(repeats):
        work()
    return (time.perf_counter() - started) * 1e6 / repeats


def _dropping_provider() -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class Dropping(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Dropping()))
    return provider


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.calls, args.home)))
        return 0
    import tempfile

    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as home:
        for number in range(args.rounds):
            order = MODES[number % 3 :] + MODES[: number % 3]
            for mode in order:
                command = [sys.executable, __file__, "--child", mode, "--calls", str(args.calls)]
                command += ["--home", home]
                output = subprocess.run(
                    command, capture_output=True, text=True, check=True, env=os.environ.copy()
                )
                results[mode].append(json.loads(output.stdout))
    print(_report(results, args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def _report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    keys = ("stage_us", "segment_us", "find_us", "call_ms", "call_cpu_ms")
    median = {
        mode: {key: statistics.median(run[key] for run in runs) for key in keys}
        for mode, runs in results.items()
    }
    lines = [
        f"{args.rounds} rounds, {args.calls} calls of the seed article per mode and round; "
        "medians; ratio against OpenTelemetry not installed",
        "",
        "| | " + " | ".join(MODES) + " | off/absent | on/absent |",
        "|---|" + "---|" * (len(MODES) + 2),
    ]
    for key in keys:
        row = [f"{median[mode][key]:.1f}" for mode in MODES]
        ratios = [f"{median[mode][key] / median['absent'][key]:.3f}" for mode in ("off", "on")]
        lines.append(f"| {key} | " + " | ".join(row + ratios) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
