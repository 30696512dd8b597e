"""The report: one table of measurements, ratios and targets, and the reasons for misses.

Targets (tarjama issues 7 and 16), each checked against numbers measured in the same run:

* (b) at 32 and at 64 clients, throughput >= 0.95x raw CTranslate2 (a) in wall time and
  >= 1.0x per CPU-second, in batches of >= 0.9 x min(clients, max_batch_sentences) on mean;
* (b) at 1 client, p50 latency <= 1.05x a direct single translate + 5 ms;
* (e) glossary matching >= 1 MB/s on a 10,000-term glossary;
* (f) server peak resident memory <= 1.3x a bare process holding the same model.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ctranslate2

THROUGHPUT_TARGET = 0.95  # wall time
CPU_TARGET = 1.0  # per CPU-second
FILL_TARGET = 0.9  # mean batch, as a share of min(clients, max_batch_sentences)
LATENCY_FACTOR, LATENCY_SLACK_S = 1.05, 0.005
MATCHING_TARGET_MB_S = 1.0
MEMORY_TARGET = 1.3


@dataclass(frozen=True)
class Row:
    scenario: str
    measured: str
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # PASS, MISS, FAILED or empty when there is no target


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)  # why a target was missed, and the fix
    failures: list[str] = field(default_factory=list)  # scenarios that did not run

    def add(self, row: Row, miss_reason: str = "") -> None:
        self.rows.append(row)
        if row.verdict == "MISS":
            self.misses.append(f"{row.scenario}: {miss_reason}")

    def failed(self, scenario: str, error: BaseException) -> None:
        self.rows.append(Row(scenario, f"did not run: {error}", verdict="FAILED"))
        self.failures.append(f"{scenario}: {type(error).__name__}: {error}")

    def markdown(self) -> str:
        lines = [
            "| scenario | measured | ratio | target | result |",
            "|---|---|---|---|---|",
            *(
                f"| {r.scenario} | {r.measured} | {r.ratio} | {r.target} | {r.verdict} |"
                for r in self.rows
            ),
        ]
        if self.misses:
            lines += ["", "Targets missed:", *(f"- {miss}" for miss in self.misses)]
        return "\n".join(lines) + "\n"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def mib(value: float) -> str:
    return f"{value:.0f} MiB"


# -- why a target was missed, from what the run measured ------------------------------------


def latency_miss(p50: float, direct_p50: float) -> str:
    return (
        f"the server adds {seconds(p50 - direct_p50)} to a direct call "
        f"({seconds(direct_p50)}): gRPC round trip, segmentation, glossary matching and the "
        "hand-off to the batcher's thread (and its wait for company, at most "
        "min(max_wait_ms, 5% of a decode) after a pause); on 2 cores the client's and the "
        "server's Python threads also take CPU from CTranslate2 while it decodes"
    )


def throughput_miss(detail: dict[str, Any], cores: int, reference_batch: int) -> str:
    """What the run saw that explains a throughput miss, each with what would close it."""
    clients, cpu_ratio = detail["clients"], detail["cpu_ratio_to_raw"]
    batches: list[int] = detail["batches"]
    client_cores = detail["client_cores"] or 0.0
    large_batch_ratio = detail.get("raw_large_batch_ratio")
    facts = (
        f"{detail['ratio_to_raw']:.2f}× raw in batches of {', '.join(map(str, batches))} "
        f"sentences; per CPU-second {cpu_ratio}× raw; the server used "
        f"{detail['server_cores']} and the client threads {client_cores} of {cores} cores"
    )
    causes = []
    if cpu_ratio is not None and cpu_ratio >= CPU_TARGET:
        causes.append(
            "per CPU-second the server is as efficient as raw CTranslate2, but it got less of "
            "the machine than the raw blocks around it (the load generator and other jobs on "
            "this shared machine took the rest): an idle host would close it"
        )
    if client_cores > 0.1 * cores:
        causes.append(
            "the load generator shares the cores with the server: clients on other machines "
            "would give the server its CPU back"
        )
    lone = sum(1 for size in batches if size == 1)
    if lone and clients > 1:
        causes.append(
            f"{lone} batch(es) held one sentence and cost a full decode: the request came "
            "more than max_wait_ms before the others of its burst"
        )
    if (
        large_batch_ratio is not None
        and large_batch_ratio < 0.95
        and max(batches) > reference_batch
    ):
        causes.append(
            f"batches over {reference_batch} sentences are slower per sentence on this CPU "
            f"(raw batch {detail['max_batch_sentences']}: {large_batch_ratio:.2f}× batch "
            f"{reference_batch}): max_batch_sentences {reference_batch} would close it"
        )
    if detail["mean_batch"] < FILL_TARGET * min(clients, detail["max_batch_sentences"]):
        causes.append(
            "batches are smaller than the number of clients waiting: the batcher started "
            "before the burst or the resubmissions had arrived; a longer max_wait_ms would "
            "fill them"
        )
    if not causes:
        causes.append(
            "the engine idles while the server turns responses around between batches "
            "(serialisation, pipeline and logging under the GIL); overlapping them with the "
            "next batch (batch_workers 2, inter_threads 2) would hide it"
        )
    return f"{facts}. Seen in this run: " + "; ".join(causes)


def memory_miss(extra_mib: float) -> str:
    return (
        f"the server holds {extra_mib:.0f} MiB more than the bare process (Python, gRPC and "
        "its thread stacks, glossary matchers, the sentence cache); fewer rpc_threads and a "
        "smaller cache_entries would shrink it"
    )


def matching_miss(rate: float) -> str:
    return (
        f"{rate:.2f} MB/s: the matcher's per-character Python work dominates; a compiled "
        "automaton over the normalised text would close it"
    )


def machine() -> dict[str, Any]:
    """What the numbers were measured on; the load average says how shared it was."""
    cpu, memory_kib = "", 0
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), ""
        )
        meminfo = Path("/proc/meminfo").read_text().split()
        memory_kib = int(meminfo[meminfo.index("MemTotal:") + 1])
    except (OSError, ValueError):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "ram_gib": round(memory_kib / 2**20, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "ctranslate2": ctranslate2.__version__,
    }
