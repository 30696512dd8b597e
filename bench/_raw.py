"""The engine alone: raw CTranslate2 calls, the limit the server is measured against.

The translator is built with the options the server passes its engine (device, compute
type, one batch at a time unless ``parallel``, the same number of threads), and the
sentences are tokenised before the clock starts, so what is timed is CTranslate2's
``translate_batch`` and nothing else. On CUDA batches are cut by source tokens (what
fills a GPU), on CPU by sentences.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import sentencepiece as spm

# On a GPU a batch is this many source tokens (the server's default max_batch_tokens), with
# no practical limit on sentences.
GPU_BATCH_TOKENS = 4096
GPU_BATCH_SENTENCES = 1024


@dataclass(frozen=True)
class Decoding:
    """The decode every path runs: random weights need a fixed output length."""

    beam_size: int
    length: int  # min = max decoding length, in target tokens
    threads: int  # CTranslate2 intra_threads; 0 lets CTranslate2 choose
    device: str = "cpu"
    compute_type: str = "int8"
    parallel: int = 1  # CTranslate2 inter_threads: batches translated at once, each `threads`

    @property
    def by_tokens(self) -> bool:
        """Batches are cut by source tokens (on a GPU), else by sentences."""
        return self.device == "cuda"


@dataclass(frozen=True)
class RawThroughput:
    sentences: int
    batch_size: int  # sentences asked for (on a GPU batches are cut by tokens instead)
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
            device=decoding.device,
            compute_type=decoding.compute_type,
            inter_threads=decoding.parallel,
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
    """Sentences per second translating ``sentences`` in batches of ``batch_size``
    sentences (on a GPU: of ``GPU_BATCH_TOKENS`` source tokens).

    With ``warm_up`` the first batch (allocations, caches) is translated but not timed.
    """
    tokenized = engine.pieces(sentences)
    by_tokens = engine.decoding.by_tokens
    batches = cut(tokenized, GPU_BATCH_TOKENS if by_tokens else batch_size, by_tokens=by_tokens)
    if warm_up:
        engine.translate(batches.pop(0))
    cpu_before, started = process_cpu_seconds(), time.perf_counter()
    if engine.decoding.parallel > 1:  # translate_batch releases the GIL: callers overlap
        with ThreadPoolExecutor(engine.decoding.parallel) as pool:
            list(pool.map(engine.translate, batches))
    else:
        for batch in batches:
            engine.translate(batch)
    seconds = time.perf_counter() - started
    cpu = process_cpu_seconds() - cpu_before
    return RawThroughput(sum(len(b) for b in batches), batch_size, seconds, cpu)


def cut(tokenized: list[list[str]], size: int, *, by_tokens: bool) -> list[list[list[str]]]:
    """Consecutive batches of at most ``size`` sentences, or ``size`` source tokens (a longer
    sentence goes alone), as the server's batcher cuts them."""
    if not by_tokens:
        return [tokenized[i : i + size] for i in range(0, len(tokenized), size)]
    batches: list[list[list[str]]] = [[]]
    tokens = 0
    for pieces in tokenized:
        if batches[-1] and tokens + len(pieces) > size:
            batches.append([])
            tokens = 0
        batches[-1].append(pieces)
        tokens += len(pieces)
    return batches


def process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def single_latency(engine: RawEngine, pieces: list[str]) -> float:
    """Seconds of one direct one-sentence call."""
    started = time.perf_counter()
    engine.translate([pieces])
    return time.perf_counter() - started
