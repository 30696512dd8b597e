"""The engine alone: raw CTranslate2 calls, the limit the server is measured against.

The translator is built with the options the server passes its engine (int8 on CPU, one
batch at a time, the same number of threads), and the sentences are tokenised
before the clock starts, so what is timed is CTranslate2's ``translate_batch`` and nothing
else.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import sentencepiece as spm


@dataclass(frozen=True)
class Decoding:
    """The decode every path runs: random weights need a fixed output length."""

    beam_size: int
    length: int  # min = max decoding length, in target tokens
    threads: int  # CTranslate2 intra_threads; 0 lets CTranslate2 choose


@dataclass(frozen=True)
class RawThroughput:
    sentences: int
    batch_size: int
    seconds: float
    cpu_seconds: float  # of this process, all threads: CTranslate2's work and its waiting

    @property
    def sentences_per_s(self) -> float:
        return self.sentences / self.seconds


class RawEngine:
    """A bare ``ctranslate2.Translator`` and the source SentencePiece model."""

    def __init__(self, model_dir: Path, decoding: Decoding) -> None:
        self.decoding = decoding
        self._spm = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
        self._translator = ctranslate2.Translator(
            str(model_dir),
            device="cpu",
            compute_type="int8",
            inter_threads=1,
            intra_threads=decoding.threads,
        )

    def pieces(self, sentences: Sequence[str]) -> list[list[str]]:
        return [list(self._spm.encode(sentence, out_type=str)) for sentence in sentences]

    def translate(self, batch: list[list[str]]) -> None:
        self._translator.translate_batch(
            batch,
            beam_size=self.decoding.beam_size,
            min_decoding_length=self.decoding.length,
            max_decoding_length=self.decoding.length,
        )


def throughput(
    engine: RawEngine, sentences: Sequence[str], batch_size: int, *, warm_up: bool
) -> RawThroughput:
    """Sentences per second translating ``sentences`` in batches of ``batch_size``.

    With ``warm_up`` the first batch (allocations, caches) is translated but not timed.
    """
    tokenized = engine.pieces(sentences)
    batches = [tokenized[i : i + batch_size] for i in range(0, len(tokenized), batch_size)]
    if warm_up:
        engine.translate(batches.pop(0))
    cpu_before, started = process_cpu_seconds(), time.perf_counter()
    for batch in batches:
        engine.translate(batch)
    seconds = time.perf_counter() - started
    cpu = process_cpu_seconds() - cpu_before
    return RawThroughput(sum(len(b) for b in batches), batch_size, seconds, cpu)


def process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def single_latency(engine: RawEngine, pieces: list[str]) -> float:
    """Seconds of one direct one-sentence call."""
    started = time.perf_counter()
    engine.translate([pieces])
    return time.perf_counter() - started
