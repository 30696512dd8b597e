"""A random-weight model in the exact opus-mt-ar-en shape, for benchmarks.

The real model cannot be downloaded here, and its cost per token depends only on its
shape: 6+6 layers, d_model 512, 8 heads, FFN 2048, swish, a shared vocabulary of 62,834
(eos 0, pad 62,833). This writes a Marian ``.npz`` of that shape with random weights
through ``tests/builders/marian.py``, converts it with ``OpusMTConverter`` to int8 through
the model store's own conversion code, and leaves it in the installed-model layout under
``bench/out/models/<name>-<key>``, where ``key`` hashes every parameter of the build, so
a second run reuses it.

The SentencePiece models are small ones trained here: the source one on the seed article
(BPE, sized so that the seed's words take ~1.3 pieces each, about what a 32k model trained
on a large corpus gives on news Arabic), the target one on a little English. The shared
vocabulary is their pieces padded with filler tokens to exactly 62,834 entries.

    python bench/make_model.py [--smoke]     # prints the model directory
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/make_model.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

import sentencepiece as spm  # noqa: E402

from tarjama.server.stores.convert import build_model  # noqa: E402
from tarjama.server.stores.manifest import Manifest  # noqa: E402
from tests.builders.marian import (  # noqa: E402
    PAD_TOKEN,
    MarianConfig,
    marian_vocabulary,
    random_parameters,
    spm_pieces,
    write_opus_mt_dir,
)
from tests.builders.random_model import ENGLISH_SAMPLE, SEED, TINY  # noqa: E402

OUT = ROOT / "bench" / "out"
OPUS_MT_AR_EN_VOCAB = 62_834
# Bumped when the build itself changes, so cached models built the old way are not reused.
BUILD_VERSION = 1


@dataclass(frozen=True)
class ModelSpec:
    """Everything that decides the model's bytes; its hash names the cache entry."""

    name: str = "opus-mt-ar-en-shape"
    config: MarianConfig = field(default_factory=MarianConfig)
    vocab_size: int = OPUS_MT_AR_EN_VOCAB  # 0: just the SentencePiece models' pieces
    source_spm_vocab: int = 1150
    target_spm_vocab: int = 400
    seed: int = 0

    def key(self) -> str:
        spec = json.dumps({**asdict(self), "build": BUILD_VERSION}, sort_keys=True)
        return hashlib.sha256(spec.encode("utf-8")).hexdigest()[:12]


FULL = ModelSpec()
# The tests' tiny random architecture: converts in a second, translates in milliseconds.
SMOKE = ModelSpec(name="random-tiny", config=TINY, vocab_size=0)


def model_dir(spec: ModelSpec, out: Path = OUT) -> Path:
    return out / "models" / f"{spec.name}-{spec.key()}"


def ensure_model(spec: ModelSpec = FULL, out: Path = OUT) -> Path:
    """The model's directory, built first if this spec was never built under ``out``."""
    final = model_dir(spec, out)
    if (final / "manifest.json").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=".build-") as work_dir:
        work = Path(work_dir)
        opus_dir = _write_marian_model(spec, work)
        installed = work / "installed"
        built = build_model(opus_dir, installed, quantization="int8")
        vocabulary = json.loads((installed / "shared_vocabulary.json").read_text("utf-8"))
        Manifest(
            name=spec.name,
            source_language="ar",
            target_language="en",
            architecture=f"{built.architecture} (random weights, vocabulary {len(vocabulary):,})",
            source_url="",
            archive_sha256="",
            converter=built.converter,
            ctranslate2_version=built.ctranslate2_version,
            quantization=built.quantization,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            files={name: _sha256(installed / name) for name in built.files},
        ).write(installed)
        # Rename last: an interrupted build leaves no directory that looks complete.
        installed.rename(final)
    return final


def _write_marian_model(spec: ModelSpec, work: Path) -> Path:
    arabic = SEED.read_text(encoding="utf-8").replace(". ", ".\n").replace("، ", "،\n")
    source = _train_spm(arabic, work / "source", spec.source_spm_vocab, "bpe")
    target = _train_spm(ENGLISH_SAMPLE * 3, work / "target", spec.target_spm_vocab, "unigram")
    vocab = marian_vocabulary(spm_pieces(source) + spm_pieces(target))
    if spec.vocab_size:
        vocab = _padded(vocab, spec.vocab_size)
    params = random_parameters(spec.config, len(vocab), seed=spec.seed)
    return write_opus_mt_dir(work / "opus", params, spec.config, vocab, source, target)


def _padded(vocab: list[str], size: int) -> list[str]:
    """Filler pieces before <pad>, so eos stays 0 and pad lands on ``size - 1``."""
    if len(vocab) > size:
        raise ValueError(f"the SentencePiece models have {len(vocab)} pieces, over {size}")
    assert vocab[-1] == PAD_TOKEN
    fillers = [f"\u2581filler{index}" for index in range(size - len(vocab))]
    return [*vocab[:-1], *fillers, PAD_TOKEN]


def _train_spm(text: str, prefix: Path, vocab_size: int, model_type: str) -> Path:
    corpus = prefix.with_suffix(".txt")
    corpus.write_text(text, encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        model_type=model_type,
        vocab_size=vocab_size,
        byte_fallback=True,
        character_coverage=1.0,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    return prefix.with_suffix(".model")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def remove_stale(spec: ModelSpec, out: Path = OUT) -> None:
    """Deletes other builds of the same model name (older parameters or build versions)."""
    keep = model_dir(spec, out)
    for old in (out / "models").glob(f"{spec.name}-*"):
        if old != keep and old.is_dir():
            shutil.rmtree(old)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the tiny test architecture")
    parser.add_argument("--out", type=Path, default=OUT, help="cache folder (bench/out)")
    args = parser.parse_args()
    spec = SMOKE if args.smoke else FULL
    remove_stale(spec, args.out)
    print(ensure_model(spec, args.out))


if __name__ == "__main__":
    main()
