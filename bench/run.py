"""tarjama's benchmark: one command, one report (tarjama issue 7).

Scenarios, all measured in this one run so that their ratios hold on any machine:

(a) raw CTranslate2 ``translate_batch``, beam 4, batch 32: the limit on this machine,
    measured in blocks around the server scenarios (see ``_reference.py``);
(b) the real gRPC server (a child process) with 1, 8, 32 and 64 concurrent clients sending
    one-sentence requests: throughput as a ratio of (a), p50/p95 latency; the lone client
    against a direct one-sentence call of the same sentences;
(c) a 5,000-word article through ``Translate`` and through ``TranslateStream`` (one
    request per paragraph); and a shorter one with the news glossary applied;
(d) the same articles sent again (answered from the sentence cache);
(e) glossary matching throughput on a 10,000-term glossary (``bench_matching``);
(f) peak resident memory of the server against a bare process holding the same model.

The model is a random-weight model in the exact opus-mt-ar-en shape (``make_model.py``);
with random weights the output length is arbitrary, so every path decodes exactly
``round(1.1 x mean source tokens)`` target tokens. ``--smoke`` runs every scenario with
tiny sizes and the tiny test architecture (for CI: it asserts nothing about timing). The
exit status is 1 when a scenario failed to run, 0 otherwise (missed targets included).

``--device cuda`` (compute type float16 unless ``--compute-type`` says otherwise) runs every
path on the GPU, with batches cut by source tokens (``GPU_BATCH_TOKENS``) instead of 32
sentences, and the server's max_batch_sentences lifted so tokens decide there too. It needs
a CUDA build of CTranslate2 and a GPU; the development and CI machines have neither, so
that path is checked by unit tests (options reach ``ctranslate2.Translator``), not run.

``--clients 1,32,64 --rounds 3 --clients-only`` runs (a) and those client counts of (b)
three times over (the issue-16 targets with their spread), skipping (c)-(f).
``--max-batch-sentences 64`` serves with that setting instead of the default, to weigh a
default against its alternative (the raw reference keeps its batch of 32).

    python bench/run.py [--smoke] [--out DIR] [--device cpu|cuda] [--compute-type TYPE]
                        [--clients N,N,...] [--rounds R] [--clients-only]
                        [--max-batch-sentences N]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/run.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

from bench import _report as rep  # noqa: E402
from bench import bench_matching  # noqa: E402
from bench._load import LoadResult, run_clients, run_single_client, translate_document  # noqa: E402
from bench._options import DEFAULT_COMPUTE_TYPES, Selection, parse_arguments  # noqa: E402
from bench._processes import ServerProcess, bare_process_memory  # noqa: E402
from bench._raw import (  # noqa: E402
    GPU_BATCH_SENTENCES,
    GPU_BATCH_TOKENS,
    Decoding,
    RawEngine,
    throughput,
)
from bench._reference import RawReference, spread  # noqa: E402
from bench._report import Report, Row, mib, seconds, verdict  # noqa: E402
from bench._workload import SentencePool, make_article  # noqa: E402
from bench.make_model import FULL, SMOKE, ensure_model, model_dir, remove_stale  # noqa: E402
from tarjama.client import Translator  # noqa: E402
from tarjama.server.serve.config import SETTINGS  # noqa: E402

BEAM_SIZE = 4
RAW_BATCH = 32
LENGTH_FACTOR = 1.1
TARGET_CLIENTS = (32, 64)  # the client counts the throughput target applies to
MAX_BATCH_SENTENCES: int = SETTINGS["max_batch_sentences"].default  # the server's default
OTHER_BATCH = 64 if MAX_BATCH_SENTENCES != 64 else 32  # the candidate the default beat


@dataclass(frozen=True)
class Sizes:
    block_batches: int  # timed raw batches of RAW_BATCH per reference block
    requests_per_client: dict[int, int]  # clients -> one-sentence requests each
    article_words: int
    glossary_article_words: int
    matching_quick: bool


# A burst's first batch is cut short now and then (a stall longer than max_wait_ms before its
# second request arrives); enough requests per client that one such batch moves the mean
# batch little.
FULL_SIZES = Sizes(2, {1: 12, 8: 6, 32: 4, 64: 3}, 5_000, 1_000, matching_quick=False)
SMOKE_SIZES = Sizes(1, {1: 2, 8: 1, 32: 1, 64: 1}, 300, 60, matching_quick=True)


@dataclass(frozen=True)
class Article:
    key: str  # in results.json
    name: str  # in the table
    paragraphs: list[str]
    stream: bool = False  # TranslateStream with a request per paragraph, else one Translate
    glossary: bool = False  # the server's default (news) glossary, else none
    repeats: str = ""  # the key of the case this one sends again


class Benchmark:
    def __init__(
        self,
        smoke: bool,
        out: Path,
        device: str = "cpu",
        compute_type: str = "",
        selection: Selection | None = None,
        max_batch_sentences: int = 0,
        batches_at_once: int = 1,
    ) -> None:
        self.smoke = smoke
        self.server_max_batch = max_batch_sentences  # 0: the server's default
        self.batches_at_once = batches_at_once  # the server's inter_threads
        self.selection = selection or Selection()
        self.device = device
        self.compute_type = compute_type or DEFAULT_COMPUTE_TYPES[device]
        self.sizes = SMOKE_SIZES if smoke else FULL_SIZES
        self.out = out
        self.report = Report()
        self.results: dict[str, Any] = {"mode": "smoke" if smoke else "full"}
        self.sentences = SentencePool(seed=1)
        self.cores = os.cpu_count() or 1
        self.largest_batch = RAW_BATCH
        self.variant_rows: list[Row] = []  # shown under (a)

    def prepare(self) -> None:
        spec = SMOKE if self.smoke else FULL
        remove_stale(spec)
        started = time.perf_counter()
        reused = (model_dir(spec) / "manifest.json").is_file()
        self.model_dir = ensure_model(spec)
        sample = RawEngine(self.model_dir, Decoding(BEAM_SIZE, 1, 1)).pieces(
            SentencePool(seed=2).take(200)
        )
        mean_tokens = statistics.mean(len(pieces) for pieces in sample)
        length = max(1, round(LENGTH_FACTOR * mean_tokens))
        # Every path runs the same threads, all the cores, whatever CTranslate2's default
        # (intra_threads 0) picks on this machine; raw_variants measures that default.
        self.decoding = Decoding(
            BEAM_SIZE, length, self.cores, device=self.device, compute_type=self.compute_type
        )
        self.engine = RawEngine(self.model_dir, self.decoding)
        # --batches-at-once N: the server runs N batches at once with cores/N threads each;
        # the raw reference keeps one batch with every core, so the ratios show the layout.
        at_once = self.batches_at_once
        self.server_decoding = replace(
            self.decoding, threads=max(1, self.cores // at_once), parallel=at_once
        )
        # On a GPU a block is cut by tokens; it takes about as many sentences as fill one.
        raw_batch = round(GPU_BATCH_TOKENS / mean_tokens) if self.decoding.by_tokens else RAW_BATCH
        self.max_batch = self.server_max_batch or (
            GPU_BATCH_SENTENCES if self.decoding.by_tokens else MAX_BATCH_SENTENCES
        )
        self.reference = RawReference(
            self.engine, self.sentences.take, raw_batch, self.sizes.block_batches
        )
        manifest = json.loads((self.model_dir / "manifest.json").read_text(encoding="utf-8"))
        self.results["model"] = {
            "directory": self.model_dir.name,
            "architecture": manifest["architecture"],
            "reused_from_cache": reused,
            "prepare_seconds": round(time.perf_counter() - started, 1),
            "mean_source_tokens": round(mean_tokens, 1),
            "decode_length": self.decoding.length,
            "beam_size": BEAM_SIZE,
            "intra_threads": self.decoding.threads,
            "server_max_batch_sentences": self.max_batch,
            "server_batches_at_once": at_once,
            "device": self.device,
            "compute_type": self.compute_type,
        }

    # -- (b), (c), (d): the server -----------------------------------------------------------

    def server_scenarios(self, home: Path) -> None:
        self.reference.measure()
        if not self.decoding.by_tokens:  # thread count and batch size are CPU questions
            self._run("(a) variants", self.raw_variants)
        log = self.out / "server.log"
        server = ServerProcess(
            self.model_dir, home, self.server_decoding, log, self.server_max_batch
        )
        try:
            with Translator(server.address, timeout=600, retries=0) as translator:
                translator.translate(" ".join(self.sentences.take(4)), no_default_glossaries=True)
            self._run("(b) concurrent clients", lambda: self.clients(server))
            if not self.selection.clients_only:
                self._run("(c)/(d) articles", lambda: self.articles(server))
            self.largest_batch = max(server.batch_sizes())
        except BaseException:
            server.kill()
            raise
        self.server_memory = server.stop()

    def clients(self, server: ServerProcess) -> None:
        self.results["b_clients"] = []
        counts = self.selection.clients or tuple(self.sizes.requests_per_client)
        rounds = self.selection.rounds
        for number, clients in ((n, c) for n in range(1, rounds + 1) for c in counts):
            each = self.sizes.requests_per_client.get(clients, 2)
            before = len(server.batch_sizes())
            single = None
            if clients == 1:
                single = run_single_client(
                    server.address, self.sentences.take(each), self.engine, server.cpu_seconds
                )
                load, reference = single.server, self.reference.rates[-1]
            else:
                work = [self.sentences.take(each) for _ in range(clients)]
                load, reference = self.reference.bracket(
                    partial(run_clients, server.address, work, server.cpu_seconds)
                )
            batches = server.batch_sizes()[before:]
            detail = {"round": number, **self._load_detail(load, reference, batches)}
            if clients in TARGET_CLIENTS and load.server_cpu_s:
                detail["cpu_ratio_same_sentences"] = self._same_sentences_cpu(work, load)
            self.results["b_clients"].append(detail)
            self._clients_row(detail, load, single.direct_p50 if single else None)

    def _same_sentences_cpu(self, work: list[list[str]], load: LoadResult) -> float:
        """The CPU ratio against raw batches of the scenario's own sentences, in the order
        the clients sent them (each client's first, then each one's second, ...): a batch's
        cost follows its longest sentence, so other sentences can move the ratio by a few
        percent. Reported beside the blocks' ratio; the verdict stays on the blocks'."""
        ordered = [sent[turn] for turn in range(len(work[0])) for sent in work]
        same = throughput(self.engine, ordered, self.reference.batch, warm_up=False)
        assert load.server_cpu_s
        return round(same.cpu_seconds / same.sentences * load.sentences / load.server_cpu_s, 3)

    def _load_detail(
        self, load: LoadResult, reference: float, batches: list[int]
    ) -> dict[str, Any]:
        cpu_ratio = None
        if load.server_cpu_s:
            cpu_ratio = self.reference.cpu_seconds_per_sentence * load.sentences / load.server_cpu_s
        return {
            "clients": load.clients,
            "sentences": load.sentences,
            "seconds": round(load.seconds, 3),
            "sentences_per_s": round(load.sentences_per_s, 3),
            "raw_reference_sentences_per_s": round(reference, 3),
            "ratio_to_raw": round(load.sentences_per_s / reference, 3),
            "cpu_ratio_to_raw": None if cpu_ratio is None else round(cpu_ratio, 3),
            "p50_s": round(load.p50, 4),
            "p95_s": round(load.p95, 4),
            "batches": batches,
            "mean_batch": round(statistics.mean(batches), 1) if batches else 0,
            "max_batch_sentences": self.max_batch,
            "raw_large_batch_ratio": self.results.get("a_large_batch", {}).get("ratio"),
            "server_cores": _cores(load.server_cpu_s, load.seconds),
            "client_cores": _cores(load.client_cpu_s, load.seconds),
        }

    def _clients_row(self, detail: dict[str, Any], load: LoadResult, direct: float | None) -> None:
        clients, ratio = detail["clients"], detail["ratio_to_raw"]
        cpu_ratio = detail["cpu_ratio_to_raw"]
        measured = (
            f"{load.sentences_per_s:.2f} sentences/s; p50 {seconds(load.p50)}, "
            f"p95 {seconds(load.p95)}; mean batch {detail['mean_batch']}"
        )
        ratio_text = f"{ratio:.2f}" + ("" if cpu_ratio is None else f" (CPU {cpu_ratio:.2f})")
        if "cpu_ratio_same_sentences" in detail:
            ratio_text += f"; CPU {detail['cpu_ratio_same_sentences']:.2f} on its own sentences"
        name = f"(b) {clients} client{'s' if clients > 1 else ''}"
        if self.selection.rounds > 1:
            name += f", round {detail['round']}"
        if direct is not None:
            detail["direct_p50_s"] = round(direct, 4)
            limit = rep.LATENCY_FACTOR * direct + rep.LATENCY_SLACK_S
            row = Row(
                name,
                f"{measured}; direct call p50 {seconds(direct)}",
                ratio_text,
                f"p50 ≤ {rep.LATENCY_FACTOR}×direct + 5 ms = {seconds(limit)}",
                verdict(load.p50 <= limit),
            )
            self.report.add(row, rep.latency_miss(load.p50, direct))
        elif clients in TARGET_CLIENTS:
            fill = rep.FILL_TARGET * min(clients, self.max_batch)
            target = (
                f"≥ {rep.THROUGHPUT_TARGET}× (a), CPU ≥ {rep.CPU_TARGET}×, mean batch ≥ {fill:.1f}"
            )
            passed = (
                ratio >= rep.THROUGHPUT_TARGET
                and (cpu_ratio is None or cpu_ratio >= rep.CPU_TARGET)
                and detail["mean_batch"] >= fill
            )
            row = Row(name, measured, ratio_text, target, verdict(passed))
            self.report.add(row, rep.throughput_miss(detail, self.cores, RAW_BATCH))
        else:
            self.report.add(Row(name, measured, ratio_text))

    def articles(self, server: ServerProcess) -> None:
        words, glossary_words = self.sizes.article_words, self.sizes.glossary_article_words
        plain = make_article(words, seed=11).split("\n")
        streamed = make_article(words, seed=12).split("\n")
        glossed = make_article(glossary_words, seed=13).split("\n")
        cases = [
            Article("c_translate", f"(c) Translate, {words:,} words", plain),
            Article("c_stream", f"(c) TranslateStream, {words:,} words, a request per "
                    "paragraph", streamed, stream=True),
            Article("c_glossary", f"(c) Translate with the news glossary, {glossary_words:,} "
                    "words", glossed, glossary=True),
            Article("d_translate", "(d) Translate again (cache)", plain, repeats="c_translate"),
            Article("d_stream", "(d) TranslateStream again (cache)", streamed, stream=True,
                    repeats="c_stream"),
        ]  # fmt: skip
        for case in cases:
            send = partial(
                translate_document,
                server.address,
                case.paragraphs,
                stream=case.stream,
                glossary=case.glossary,
                server_cpu=server.cpu_seconds,
            )
            before = len(server.batch_sizes())
            if case.repeats:  # served from the cache: no engine work to compare with
                result, reference = send(), self.reference.mean_rate
            else:
                result, reference = self.reference.bracket(send)
            self.results[case.key] = {
                **asdict(result),
                "batches": server.batch_sizes()[before:],
                "paragraphs": len(case.paragraphs),
                "sentences_per_s": round(result.sentences_per_s, 3),
                "raw_reference_sentences_per_s": round(reference, 3),
            }
            measured = f"{seconds(result.seconds)} for {result.sentences} sentences"
            if case.repeats:
                speedup = self.results[case.repeats]["seconds"] / result.seconds
                measured += f", {result.cached} from cache"
                self.report.add(Row(case.name, measured, f"{speedup:.0f}× faster than (c)"))
                continue
            measured += f" ({result.sentences_per_s:.2f}/s)"
            if case.glossary:
                measured += f", {result.term_hits} term hits"
            ratio = f"{result.sentences_per_s / reference:.2f}"
            self.report.add(Row(case.name, measured, ratio))

    # -- (a), (e), (f) -----------------------------------------------------------------------

    def raw_summary(self) -> None:
        """The (a) row, first in the table, from every block measured during the run."""
        rates = self.reference.rates
        self.results["a_raw"] = self.reference.summary()
        measured = f"{self.reference.mean_rate:.2f} sentences/s (mean of {len(rates)} blocks"
        measured += f", {spread(rates)})" if len(rates) > 1 else ")"
        measured += f", {self.reference.cores_busy:.2f} cores busy"
        batch = f"{GPU_BATCH_TOKENS} tokens" if self.decoding.by_tokens else f"{RAW_BATCH}"
        name = (
            f"(a) raw CTranslate2 on {self.device}, {self.compute_type}, beam 4, batch {batch}, "
            f"intra_threads {self.cores}"
        )
        self.report.rows[0:0] = [Row(name, measured, "1.00"), *self.variant_rows]

    def raw_variants(self) -> None:
        """Raw blocks behind the server's defaults: CTranslate2 choosing its own threads
        (intra_threads 0) against one per core, the other batch size candidate against the
        default max_batch_sentences, and one batch per core at a time with one thread each
        against one batch with every core (a ratio below 1 says the default is the faster)."""
        variants = [
            ("a_default_threads", "(a) the same, intra_threads 0 (CTranslate2's own choice)",
             RawEngine(self.model_dir, replace(self.decoding, threads=0)), RAW_BATCH, True),
            ("a_large_batch", f"(a) the same, batch {OTHER_BATCH} (the default "
             f"max_batch_sentences is {MAX_BATCH_SENTENCES})", self.engine, OTHER_BATCH, False),
        ]  # fmt: skip
        if self.device == "cpu" and self.cores > 1:  # a GPU runs one batch at a time
            parallel = replace(self.decoding, threads=1, parallel=self.cores)
            variants.append((
                "a_parallel", f"(a) the same, {self.cores} batches at once of 1 thread each "
                f"(inter_threads {self.cores}, intra_threads 1)",
                RawEngine(self.model_dir, parallel), RAW_BATCH, True,
            ))  # fmt: skip
        for key, name, engine, batch, warm_up in variants:
            sentences = self.sentences.take(batch * (self.sizes.block_batches + warm_up))
            block, reference = self.reference.bracket(
                partial(throughput, engine, sentences, batch, warm_up=warm_up)
            )
            ratio = block.sentences_per_s / reference
            self.results[key] = {**asdict(block), "ratio": round(ratio, 3)}
            busy = block.cpu_seconds / block.seconds
            measured = f"{block.sentences_per_s:.2f} sentences/s, {busy:.2f} cores busy"
            self.variant_rows.append(Row(name, measured, f"{ratio:.2f}"))

    def matching(self) -> None:
        result = bench_matching.run(self.sizes.matching_quick)
        self.results["e_matching"] = result
        rate = float(result["mb_per_s"])
        megabytes = int(result["text_bytes"]) / 1e6
        row = Row(
            "(e) glossary matching, 10,000 terms",
            f"{rate:.2f} MB/s over {megabytes:.1f} MB",
            target=f"≥ {rep.MATCHING_TARGET_MB_S:g} MB/s",
            verdict=verdict(rate >= rep.MATCHING_TARGET_MB_S),
        )
        self.report.add(row, rep.matching_miss(rate))

    def memory(self) -> None:
        batch = self.largest_batch  # the bare process runs the server's largest batch
        bare = bare_process_memory(self.model_dir, self.decoding, batch)
        server = self.server_memory
        ratio = server.peak_mib / bare.peak_mib
        self.results["f_memory"] = {
            "server": asdict(server),
            "bare": asdict(bare),
            "bare_batch_sentences": batch,
            "ratio": round(ratio, 3),
        }
        row = Row(
            "(f) peak RSS, server vs bare process",
            f"server {mib(server.peak_mib)} (loaded {mib(server.loaded_mib)}); bare "
            f"{mib(bare.peak_mib)} (loaded {mib(bare.loaded_mib)}), batch of {batch}",
            f"{ratio:.2f}",
            f"≤ {rep.MEMORY_TARGET}×",
            verdict(ratio <= rep.MEMORY_TARGET),
        )
        self.report.add(row, rep.memory_miss(server.peak_mib - bare.peak_mib))

    # -- running -----------------------------------------------------------------------------

    def _run(self, scenario: str, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as error:  # one failed scenario must not hide the others
            self.report.failed(scenario, error)

    def run(self) -> None:
        self.results["machine"] = rep.machine()
        started = time.perf_counter()
        self.prepare()
        with tempfile.TemporaryDirectory(prefix="tarjama-bench-") as home:
            self._run("(a)-(d) raw engine and server", lambda: self.server_scenarios(Path(home)))
        if self.reference.blocks:
            self.raw_summary()
        del self.engine, self.reference.engine  # its memory is not the server's business
        if not self.selection.clients_only:
            if hasattr(self, "server_memory"):
                self._run("(f) memory", self.memory)
            self._run("(e) glossary matching", self.matching)
        self.results["seconds"] = round(time.perf_counter() - started, 1)
        self.results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        self.results["failures"] = self.report.failures
        self.results["misses"] = self.report.misses


def _cores(cpu_seconds: float | None, wall_seconds: float) -> float | None:
    return None if cpu_seconds is None else round(cpu_seconds / wall_seconds, 2)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv, __doc__.splitlines()[0], ROOT)
    args.out.mkdir(parents=True, exist_ok=True)
    bench = Benchmark(
        args.smoke,
        args.out,
        args.device,
        args.compute_type,
        args.selection,
        args.max_batch_sentences,
        args.batches_at_once,
    )
    bench.run()
    results, model = bench.results, bench.results["model"]
    header = (
        f"tarjama benchmark ({results['mode']}): {model['architecture']}, "
        f"{model['device']} {model['compute_type']}, beam "
        f"{BEAM_SIZE}, {model['mean_source_tokens']} source tokens per sentence on average, "
        f"{model['decode_length']} target tokens decoded per sentence; server "
        f"max_batch_sentences {model['server_max_batch_sentences']}, "
        f"{model['server_batches_at_once']} batch(es) at once; "
        f"{results['machine']['nproc']} cores ({results['machine']['cpu']}), load average "
        f"{results['machine']['load_average_at_start'][0]} at start; {results['seconds']} s\n\n"
    )
    table = header + bench.report.markdown()
    (args.out / "report.md").write_text(table, encoding="utf-8")
    results["table"] = table
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    (args.out / "results.json").write_text(text, encoding="utf-8")
    print(table)
    if bench.report.failures:
        print("Scenarios that failed:", *bench.report.failures, sep="\n- ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
