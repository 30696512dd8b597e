"""The raw-engine reference, measured in blocks between the server scenarios.

On a shared machine the CPU left to the benchmark drifts over minutes, so a ratio of two
throughputs measured minutes apart says as much about the neighbours as about the server.
Each server scenario is therefore bracketed by raw blocks, and its ratio is taken against
the mean of the block just before and the block just after it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

from bench._raw import RawEngine, RawThroughput, throughput

T = TypeVar("T")


class RawReference:
    def __init__(
        self, engine: RawEngine, take: Callable[[int], list[str]], batch: int, batches: int
    ) -> None:
        self.engine = engine
        self._take = take  # distinct sentences, so nothing is measured twice
        self.batch = batch
        self.batches = batches  # timed batches per block
        self.blocks: list[RawThroughput] = []

    def measure(self) -> float:
        """Runs one block (the first one after a warm-up batch); its sentences per second."""
        warm_up = not self.blocks
        count = self.batch * (self.batches + warm_up)
        block = throughput(self.engine, self._take(count), self.batch, warm_up=warm_up)
        self.blocks.append(block)
        return block.sentences_per_s

    def bracket(self, scenario: Callable[[], T]) -> tuple[T, float]:
        """Runs ``scenario`` and then a raw block; returns its result and the reference
        rate around it (the mean of the blocks before and after)."""
        if not self.blocks:
            self.measure()
        before = self.blocks[-1].sentences_per_s
        result = scenario()
        after = self.measure()
        return result, (before + after) / 2

    @property
    def rates(self) -> list[float]:
        return [block.sentences_per_s for block in self.blocks]

    @property
    def mean_rate(self) -> float:
        return statistics.mean(self.rates)

    @property
    def cpu_seconds_per_sentence(self) -> float:
        """CPU the engine spends per sentence, all blocks together: steadier than time."""
        return sum(b.cpu_seconds for b in self.blocks) / sum(b.sentences for b in self.blocks)

    @property
    def cores_busy(self) -> float:
        """CPU-seconds per second while the blocks ran: how many cores CTranslate2 kept busy."""
        return sum(b.cpu_seconds for b in self.blocks) / sum(b.seconds for b in self.blocks)

    def summary(self) -> dict[str, Any]:
        return {
            "blocks": [asdict(block) for block in self.blocks],
            "rates": [round(rate, 3) for rate in self.rates],
            "mean_sentences_per_s": round(self.mean_rate, 3),
            "cpu_seconds_per_sentence": round(self.cpu_seconds_per_sentence, 4),
            "cores_busy": round(self.cores_busy, 2),
        }


def spread(values: Sequence[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}"
