"""Bulk translation (`tarjama batch`, tarjama issue 14 §1) against raw CTranslate2.

One corpus of documents (JSON Lines, ids, no glossaries) is translated in one run by:

* raw CTranslate2 ``translate_batch`` over the corpus's own sentences, each once per
  block in the corpus's order, batch 32 (the last one part full, as a job's last one
  is), in the threads' layout ``tarjama batch`` uses (one one-thread batch per core at once,
  ``tarjama.server.bulk.threads``; faster than one batch of every core): the reference,
  measured in a block before and after every other path (``_reference.py``);
* the in-process path (``BulkTranslator``, what ``tarjama batch`` runs by default), again
  with ``--no-document-terms`` (the document terms ask for the word alignment wherever a
  word repeats in a document: this prices that), and again in the server's layout (one
  batch with every core's thread), to show what the layout is worth;
* the Ray path (``tarjama batch --ray``): a local Ray, one actor, then two actors, each
  job in its own Ray session, as the CLI starts one; the session's start and shutdown are
  timed apart from the job (a cluster is started once for many corpora).

Every path reads the JSON Lines file and writes Parquet parts with the CLI's ``Sink``;
every job's clock includes loading its model. The model is the random-weight one in the
opus-mt-ar-en shape (``make_model.py``); every path decodes exactly ``round(1.1 x mean
source tokens)`` target tokens with beam 4 (random weights never stop on their own).
Targets: in-process >= 0.95x raw, Ray on one machine >= 0.85x raw.

    python bench/bulk.py [--quick] [--documents N] [--out DIR]  # --quick: a smoke check
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from itertools import cycle
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/bulk.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

from bench._processes import process_cpu_seconds as _process_cpu_seconds  # noqa: E402
from bench._raw import Decoding, RawEngine, process_cpu_seconds  # noqa: E402
from bench._reference import RawReference, spread  # noqa: E402
from bench._report import machine  # noqa: E402
from bench._workload import SentencePool  # noqa: E402
from bench.make_model import FULL, ensure_model  # noqa: E402
from tarjama.server.bulk.local import BulkTranslator  # noqa: E402
from tarjama.server.bulk.rows import Sink, read_rows  # noqa: E402
from tarjama.server.bulk.threads import default_jobs, for_throughput  # noqa: E402
from tarjama.server.serve.config import ServerConfig, physical_cores  # noqa: E402
from tarjama.server.translate.engine import Engine, EngineOptions  # noqa: E402
from tarjama.server.translate.segment import segment  # noqa: E402

BEAM_SIZE = 4
RAW_BATCH = 32
LENGTH_FACTOR = 1.1
IN_PROCESS_TARGET, RAY_TARGET = 0.95, 0.85
# Sentences per document, in turn (before segmentation): short news items to long ones.
SENTENCES_PER_DOCUMENT = (2, 6, 3, 5, 4)


FULL_DOCUMENTS = 64  # 2 Ray batches of 32 rows
QUICK_DOCUMENTS = 8


@dataclass
class PathResult:
    name: str
    documents: int
    sentences: int
    seconds: float  # the job: model load, reading, translating, writing
    reference: float  # raw sentences/s, mean of the blocks before and after
    started: float  # epoch seconds when the job began
    calls: list[Call]  # every CTranslate2 call of the job's models, by start
    cpu_seconds: float | None = None  # this process, for the in-process path
    session_start_s: float | None = None  # Ray: ray.init
    session_stop_s: float | None = None  # Ray: ray.shutdown

    @property
    def sentences_per_s(self) -> float:
        return self.sentences / self.seconds

    @property
    def documents_per_s(self) -> float:
        return self.documents / self.seconds

    @property
    def ratio(self) -> float:
        return self.sentences_per_s / self.reference

    @property
    def until_first_call(self) -> float:
        """Seconds from the job's start to its first model call: loading, reading, actors."""
        return self.calls[0].start - self.started

    @property
    def translating(self) -> float:
        """Seconds from the first model call's start to the last one's end."""
        return max(call.end for call in self.calls) - self.calls[0].start

    @property
    def steady_ratio(self) -> float:
        """Throughput while the models translate, as a share of raw: what a large corpus,
        whose start-up is negligible, would see."""
        return self.sentences / self.translating / self.reference

    @property
    def end_to_end_ratio(self) -> float | None:
        if self.session_start_s is None or self.session_stop_s is None:
            return None
        total = self.seconds + self.session_start_s + self.session_stop_s
        return self.sentences / total / self.reference


@dataclass(frozen=True)
class Call:
    """One CTranslate2 call of a path's engine: its sentences, its start and end (epoch
    seconds, comparable across the Ray actors' processes on one machine)."""

    sentences: int
    start: float
    end: float


class RecordingEngine(Engine):
    """The real engine, appending every call it makes to a file (the Ray actors are other
    processes, so a file is how their calls come back)."""

    def __init__(self, model_dir: Path, options: EngineOptions, record: Path) -> None:
        super().__init__(model_dir, options)
        self._record = record

    def translate_batch(self, sources: Any, **options: Any) -> Any:
        start = time.time()
        results = super().translate_batch(sources, **options)
        with self._record.open("a", encoding="utf-8") as stream:
            stream.write(f"{len(sources)} {start} {time.time()}\n")
        return results


def fixed_length_engine(config: ServerConfig, *, length: int, records: Path) -> Engine:
    """What each path's model is: the server's engine options, decoding ``length`` tokens."""
    options = EngineOptions(
        inter_threads=config.inter_threads,
        intra_threads=config.intra_threads,
        beam_size=config.beam_size,
        min_decoding_length=length,
        max_decoding_length=length,
    )
    return RecordingEngine(Path(config.model), options, records / f"batches-{os.getpid()}.txt")


def make_corpus(count: int, seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    """``count`` documents of distinct sentences (paragraphs of one or two), and their
    sentences as the server's segmenter cuts them (what every path translates)."""
    pool = SentencePool(seed)
    documents, sentences = [], []
    for number, size in zip(range(count), cycle(SENTENCES_PER_DOCUMENT), strict=False):
        taken = pool.take(size)
        text = "\n".join(" ".join(taken[i : i + 2]) for i in range(0, size, 2))
        documents.append({"id": f"doc-{number:05d}", "text": text})
        sentences += [text[s.start : s.end] for s in segment(text) if s.has_arabic]
    return documents, sentences


def _read_calls(records: Path) -> list[Call]:
    calls = []
    for path in sorted(records.glob("batches-*.txt")):
        for line in path.read_text("utf-8").splitlines():
            size, start, end = line.split()
            calls.append(Call(int(size), float(start), float(end)))
        path.unlink()
    return sorted(calls, key=lambda call: call.start)


def _check(rows_written: list[dict[str, Any]], documents: int, sentences: int) -> None:
    """Every document translated, every sentence by the model (none cached or dropped)."""
    failed = [row for row in rows_written if not row["ok"]]
    if failed:
        raise RuntimeError(f"{len(failed)} documents failed, first: {failed[0]['error']}")
    counted = sum(row["sentences"] for row in rows_written)
    translated = sum(
        json.loads(row["response"])["stats"].get("translated_sentences", 0) for row in rows_written
    )
    if len(rows_written) != documents or counted != sentences or translated != sentences:
        raise RuntimeError(
            f"{len(rows_written)} rows, {counted} sentences, {translated} translated by the "
            f"model: expected {documents} documents of {sentences} sentences"
        )


def in_process(
    corpus: Path,
    out: Path,
    config: ServerConfig,
    load: Callable[[ServerConfig], Engine],
    document_terms: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """``tarjama batch`` without --ray (``document_terms=False``: ``--no-document-terms``);
    the rows, its seconds and this process's CPU's."""
    written: list[dict[str, Any]] = []
    cpu_before, began, started = process_cpu_seconds(), time.time(), time.perf_counter()
    sink = Sink(out)
    with BulkTranslator(config, load(config), document_terms=document_terms) as translator:
        for row in translator.translate_rows(read_rows([corpus])):
            sink.write(row)
            written.append(row)
    sink.close()
    return written, {
        "job": time.perf_counter() - started,
        "began": began,
        "cpu": process_cpu_seconds() - cpu_before,
    }


def on_ray(
    corpus: Path,
    out: Path,
    config: ServerConfig,
    load: Callable[[ServerConfig], Engine],
    actors: int,
    timings: dict[str, float],
) -> list[dict[str, Any]]:
    """``tarjama batch --ray --actors N`` in a fresh local Ray; session times in ``timings``."""
    from tarjama.server.bulk.ray_job import ray_session, translate_on_ray

    written: list[dict[str, Any]] = []
    ray_dir = Path(tempfile.mkdtemp(prefix="tjr"))  # short: Ray's socket paths end at 107
    sink = Sink(out)
    try:
        started = time.perf_counter()
        with ray_session(None, ray_dir) as ray:
            timings["start"] = time.perf_counter() - started
            timings["began"], job_started = time.time(), time.perf_counter()
            cpu_before = process_cpu_seconds() + descendants_cpu_seconds()
            translate_on_ray(
                ray,
                [corpus],
                sink.write,
                config,
                done=set(),
                actors=actors,
                jobs=None,  # the CLI's default
                on_row=written.append,
                load=load,
            )
            sink.close()
            timings["job"] = time.perf_counter() - job_started
            timings["cpu"] = process_cpu_seconds() + descendants_cpu_seconds() - cpu_before
            stopping = time.perf_counter()
        timings["stop"] = time.perf_counter() - stopping
    finally:
        shutil.rmtree(ray_dir, ignore_errors=True)
    return written


def corpus_blocks(sentences: Sequence[str]) -> tuple[Callable[[int], list[str]], int]:
    """What each raw block translates: the corpus's sentences, each once, in its order,
    in batches of RAW_BATCH (the last one part full, as a job's last one is), after a
    warm-up batch before the first block; and that block's number of batches."""
    batches = -(-len(sentences) // RAW_BATCH)

    def take(count: int) -> list[str]:
        warm_up = list(sentences[:RAW_BATCH]) if count > RAW_BATCH * batches else []
        return warm_up + list(sentences)

    return take, batches


def descendants_cpu_seconds() -> float:
    """CPU-seconds of this process's running descendants: Ray's daemons and workers (they
    run until the session ends, so a difference over a job is what Ray spent on it)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(text[text.rindex(")") + 2 :].split()[1]), []).append(
            int(stat.parent.name)
        )
    total, stack = 0.0, list(children.get(os.getpid(), []))
    while stack:
        pid = stack.pop()
        total += _process_cpu_seconds(pid) or 0.0
        stack += children.get(pid, [])
    return total


def run(documents_wanted: int, out: Path) -> tuple[list[PathResult], RawReference, dict[str, Any]]:
    model = ensure_model(FULL)
    cores = physical_cores()
    documents, sentences = make_corpus(documents_wanted, seed=14)
    probe = RawEngine(model, Decoding(BEAM_SIZE, 1, cores))
    mean_tokens = statistics.mean(len(pieces) for pieces in probe.pieces(sentences))
    # The server's layout (one batch, every core); what `tarjama batch` runs instead (one
    # one-thread batch per core at once) is the raw reference, as the faster of the two.
    config = ServerConfig(
        home=out / "home",
        model=str(model),
        beam_size=BEAM_SIZE,
        intra_threads=cores,
        default_glossaries=(),
    )
    batch_job = for_throughput(config, cores)
    length = round(LENGTH_FACTOR * mean_tokens)
    decoding = Decoding(
        BEAM_SIZE, length, batch_job.intra_threads, parallel=batch_job.inter_threads
    )
    take, batches = corpus_blocks(sentences)
    raw = RawReference(RawEngine(model, decoding), take, RAW_BATCH, batches)
    out.mkdir(parents=True, exist_ok=True)
    corpus = out / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents))
    records = out / "batches"
    records.mkdir(exist_ok=True)
    _read_calls(records)  # leftovers of an interrupted run
    load = partial(fixed_length_engine, length=decoding.length, records=records)
    results = []

    def measure(name: str, job: Callable[[Path], Any]) -> PathResult:
        target = out / ("out-" + re.sub(r"\W+", "-", name).strip("-"))  # a plain folder name
        shutil.rmtree(target, ignore_errors=True)
        (written, extra), reference = raw.bracket(lambda: job(target))
        _check(written, len(documents), len(sentences))
        calls = _read_calls(records)
        result = PathResult(
            name, len(documents), len(sentences), extra["job"], reference, extra["began"], calls
        )
        result.cpu_seconds = extra.get("cpu")
        result.session_start_s, result.session_stop_s = extra.get("start"), extra.get("stop")
        print(f"{name}: {result.sentences_per_s:.2f} sentences/s, {result.ratio:.2f}x raw")
        return result

    def local(
        target: Path, document_terms: bool = True, layout: ServerConfig = batch_job
    ) -> tuple[list[dict[str, Any]], dict[str, float]]:
        return in_process(corpus, target, layout, load, document_terms)

    def ray(actors: int, target: Path) -> tuple[list[dict[str, Any]], dict[str, float]]:
        timings: dict[str, float] = {}
        return on_ray(corpus, target, config, load, actors, timings), timings

    results.append(measure("in-process", local))
    results.append(measure("in-process, no document terms", partial(local, document_terms=False)))
    server_layout = f"in-process, the server's layout (1 batch of {cores} threads)"
    results.append(measure(server_layout, partial(local, layout=config)))
    results.append(measure("Ray 1 actor", partial(ray, 1)))
    results.append(measure("Ray 2 actors", partial(ray, 2)))
    setup = {
        "documents": len(documents),
        "sentences": len(sentences),
        "mean_source_tokens": round(mean_tokens, 1),
        "decode_length": decoding.length,
        "beam_size": BEAM_SIZE,
        "cores": cores,
        "raw_layout": {"inter_threads": decoding.parallel, "intra_threads": decoding.threads},
        "jobs_in_process": default_jobs(batch_job),
    }
    return results, raw, setup


def table(results: Sequence[PathResult], raw: RawReference) -> str:
    lines = [
        "| path | documents/s | sentences/s | ratio to raw | while translating "
        "| where the job's time went | target | result |",
        "|---|---|---|---|---|---|---|---|",
        f"| raw CTranslate2, batch {RAW_BATCH}, {raw.engine.decoding.parallel} at once of "
        f"{raw.engine.decoding.threads} thread(s) | | {raw.mean_rate:.2f} (mean of "
        f"{len(raw.blocks)} blocks, {spread(raw.rates)}) | 1.00 | | "
        f"{raw.cores_busy:.2f} cores busy | | |",
    ]
    for r in results:
        target = IN_PROCESS_TARGET if r.name.startswith("in-process") else RAY_TARGET
        ratio = f"{r.ratio:.2f}"
        if r.cpu_seconds:
            ratio += f" (CPU {raw.cpu_seconds_per_sentence * r.sentences / r.cpu_seconds:.2f})"
        tail = r.seconds - r.until_first_call - r.translating
        where = (
            f"{r.seconds:.1f} s: {r.until_first_call:.1f} s to the first model call, "
            f"{r.translating:.1f} s translating ({len(r.calls)} calls, mean "
            f"{statistics.mean(c.sentences for c in r.calls):.1f} sentences), {tail:.1f} s after"
        )
        if r.session_start_s is not None and r.session_stop_s is not None:
            where += f"; Ray start {r.session_start_s:.1f} s, stop {r.session_stop_s:.1f} s"
            ratio += f"; {r.end_to_end_ratio:.2f} with them"
        lines.append(
            f"| {r.name} | {r.documents_per_s:.2f} | {r.sentences_per_s:.2f} | {ratio} "
            f"| {r.steady_ratio:.2f} | {where} | ≥ {target}× "
            f"| {'PASS' if r.ratio >= target else 'MISS'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 documents: checks it runs")
    parser.add_argument(
        "--documents",
        type=int,
        default=FULL_DOCUMENTS,
        metavar="N",
        help=f"documents in the corpus (default {FULL_DOCUMENTS}); more amortise Ray's start",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "bulk")
    args = parser.parse_args(argv)
    about = machine()
    started = time.perf_counter()
    results, raw, setup = run(QUICK_DOCUMENTS if args.quick else args.documents, args.out)
    report = table(results, raw)
    print(json.dumps(setup))
    print(report)
    summary = {
        "machine": about,
        "setup": setup,
        "raw": raw.summary(),
        "paths": [
            {**asdict(r), "ratio": round(r.ratio, 3), "steady_ratio": round(r.steady_ratio, 3)}
            for r in results
        ],
        "wall_s": round(time.perf_counter() - started, 1),
    }
    (args.out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / "report.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
