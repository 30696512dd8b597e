"""A random-weight model in the installed layout, for tests that need any working model.

The SentencePiece models are trained on the seed article (Arabic) and a little English,
with byte fallback so every input can be encoded; the weights are random, so the output
is arbitrary but the shapes, vocabularies and conversion path are the real ones.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import sentencepiece as spm

from tests.builders.marian import (
    MarianConfig,
    marian_vocabulary,
    random_parameters,
    spm_pieces,
    write_opus_mt_dir,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_5cb57f188978d242.txt"
TINY = MarianConfig(enc_depth=2, dec_depth=2, d_model=64, heads=4, ffn_dim=128)
ENGLISH_SAMPLE = (
    "Russian President Vladimir Putin held talks with US Secretary of State John Kerry.\n"
    "The Kremlin said the talks focused on Syria and Ukraine.\n"
    "Air strikes hit Islamic State and Nusra Front positions near Palmyra, Reuters said.\n"
    "Foreign Minister Sergei Lavrov met his counterpart in Moscow on Tuesday.\n"
)


def _train_spm(text: str, prefix: Path, vocab_size: int) -> Path:
    corpus = prefix.with_suffix(".txt")
    corpus.write_text(text, encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        byte_fallback=True,
        character_coverage=1.0,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    return prefix.with_suffix(".model")


def build_opus_mt_dir(dest: Path, config: MarianConfig = TINY, seed: int = 0) -> Path:
    """A random-weight model in the OPUS-MT release layout (what `model fetch` downloads)."""
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        arabic = SEED.read_text(encoding="utf-8").replace(". ", ".\n").replace("، ", "،\n")
        source = _train_spm(arabic, work / "source", 600)
        target = _train_spm(ENGLISH_SAMPLE * 3, work / "target", 400)
        vocab = marian_vocabulary(spm_pieces(source) + spm_pieces(target))
        params = random_parameters(config, len(vocab), seed=seed)
        return write_opus_mt_dir(dest, params, config, vocab, source, target)


def build_random_model(dest: Path, config: MarianConfig = TINY, seed: int = 0) -> Path:
    """A random-weight model converted to int8 in the installed layout (see engine.py)."""
    from ctranslate2.converters import OpusMTConverter

    with tempfile.TemporaryDirectory() as work_dir:
        opus_dir = build_opus_mt_dir(Path(work_dir) / "opus", config, seed)
        OpusMTConverter(str(opus_dir)).convert(str(dest), quantization="int8", force=True)
        for name in ("source.spm", "target.spm"):
            shutil.copy(opus_dir / name, dest / name)
    files = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(dest.iterdir())
        if path.is_file()
    }
    manifest = {
        "name": "random-tiny",
        "source_language": "ar",
        "target_language": "en",
        "architecture": (
            f"transformer-align {config.enc_depth}+{config.dec_depth}, "
            f"d_model {config.d_model}, {config.heads} heads (random weights)"
        ),
        "source_url": "",
        "archive_sha256": "",
        "converter": "ctranslate2.converters.OpusMTConverter",
        "quantization": "int8",
        "files": files,
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return dest
