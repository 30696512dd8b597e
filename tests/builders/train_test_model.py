"""Rebuilds tests/data/test-model: a small Arabic→English model that really translates.

    python -m tests.builders.train_test_model            # from the repository root

Steps: generate the synthetic corpus (tests/builders/corpus.py), train the SentencePiece
model (one model serves as source.spm and target.spm), train a 2+2-layer Marian
transformer in PyTorch with a guided-alignment loss on head 0 of the last decoder layer's
encoder-decoder attention (and a shifted one on head 0 of the first layer),
write it in the OPUS-MT layout, convert it with CTranslate2's ``OpusMTConverter`` to int8,
write ``manifest.json``, check that CTranslate2 scores sentences as PyTorch does, and
measure the int8 model on held-out sentences. Work files go to tarjama-testmodel/ in the
system's temporary folder.

Development only (torch); see tests/data/test-model/README.md for run time and caveats.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Sleep instead of spinning while waiting for the other OpenMP thread: on 2 cores shared
# with other work, spinning threads made training steps 9x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import ctranslate2
import numpy as np
import sentencepiece as spm
import torch
from torch.nn import functional as F

from tests.builders import corpus, evaluate_model
from tests.builders.marian import MarianConfig, marian_vocabulary, spm_pieces, write_opus_mt_dir
from tests.builders.marian_torch import MarianTransformer

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO / "tests" / "data" / "test-model"
WORK_DIR = Path(tempfile.gettempdir()) / "tarjama-testmodel"  # scratch, rebuilt each run
MODEL_FILES = ("model.bin", "config.json", "shared_vocabulary.json", "source.spm", "target.spm")


@dataclass(frozen=True)
class Options:
    train_pairs: int = 40_000
    held_out_pairs: int = 500
    corpus_seed: int = 1
    held_out_seed: int = 2
    torch_seed: int = 0
    vocab_size: int = 4000  # one SentencePiece model for both sides, see main()
    d_model: int = 128
    heads: int = 4
    ffn_dim: int = 512
    layers: int = 2
    dropout: float = 0.05
    label_smoothing: float = 0.1
    alignment_weight: float = 1.0
    batch_tokens: int = 2500  # source + target pieces per batch, padding included
    steps: int = 4000
    warmup: int = 300
    peak_lr: float = 1.5e-3
    threads: int = 2


@dataclass(frozen=True)
class Example:
    source: list[int]  # piece ids with </s>
    target: list[int]  # piece ids with </s>
    alignment: list[tuple[int, list[int]]]  # target position -> source positions


def train_sentencepiece(texts: Sequence[str], vocab_size: int, path: Path) -> Path:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="bpe",  # unigram split even frequent words ("an n ounc ed") here
        character_coverage=1.0,
        byte_fallback=True,  # any character, seen or not, can be spelled
        split_digits=True,  # numbers are copied digit by digit
        hard_vocab_limit=False,
        num_threads=1,  # one thread: the same pieces on every machine
        minloglevel=2,
    )
    path.write_bytes(model.getvalue())
    return path


def encode(
    pairs: Sequence[corpus.Pair],
    source: spm.SentencePieceProcessor,
    target: spm.SentencePieceProcessor,
    index: dict[str, int],
) -> list[Example]:
    eos = index["</s>"]
    examples = []
    for pair in pairs:
        source_spans = evaluate_model.piece_spans(source, pair.source)
        target_spans = evaluate_model.piece_spans(target, pair.target)
        alignment = evaluate_model.alignment_pairs(
            pair, source_spans, target_spans, {"name", "slot"}
        )
        alignment.append((len(target_spans), [len(source_spans)]))  # </s> ↔ </s>
        examples.append(
            Example(
                [index[span.piece] for span in source_spans] + [eos],
                [index[span.piece] for span in target_spans] + [eos],
                alignment,
            )
        )
    return examples


def batches(examples: Sequence[Example], max_tokens: int, rng: random.Random) -> list[list[int]]:
    """Groups of similar length (few pads), in shuffled order."""
    order = sorted(
        range(len(examples)),
        key=lambda i: (len(examples[i].source) + rng.random() * 3, len(examples[i].target)),
    )
    groups: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        longest_next = max(longest, len(examples[i].source) + len(examples[i].target))
        if current and longest_next * (len(current) + 1) > max_tokens:
            groups.append(current)
            current, longest_next = [], len(examples[i].source) + len(examples[i].target)
        current.append(i)
        longest = longest_next
    groups.append(current)
    rng.shuffle(groups)
    return groups


def collate(examples: Sequence[Example], pad: int) -> dict[str, torch.Tensor]:
    size = len(examples)
    source_len = max(len(e.source) for e in examples)
    target_len = max(len(e.target) for e in examples)
    source = torch.full((size, source_len), pad)
    target = torch.full((size, target_len), pad)
    guide = torch.zeros(size, target_len, source_len)
    for row, example in enumerate(examples):
        source[row, : len(example.source)] = torch.tensor(example.source)
        target[row, : len(example.target)] = torch.tensor(example.target)
        for position, sources in example.alignment:
            guide[row, position, sources] = 1.0 / len(sources)
    decoder_input = torch.cat([torch.zeros_like(target[:, :1]), target[:, :-1]], dim=1)
    return {
        "source": source,
        "source_mask": source != pad,
        "decoder_input": decoder_input,
        "target": target,
        "guide": guide,
    }


def _guided_loss(attention: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of attention rows against guide rows, over the guided rows only."""
    guided_rows = guide.sum(-1) > 0
    return -(guide * torch.log(attention + 1e-9)).sum(-1)[guided_rows].mean()


def train(
    model: MarianTransformer, examples: Sequence[Example], pad: int, options: Options
) -> None:
    rng = random.Random(options.torch_seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=options.peak_lr, betas=(0.9, 0.98))

    def learning_rate(step: int) -> float:  # linear warm-up, then cosine down to 5%
        if step < options.warmup:
            return options.peak_lr * (step + 1) / options.warmup
        progress = (step - options.warmup) / max(options.steps - options.warmup, 1)
        return options.peak_lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))

    model.train()
    step, started = 0, time.monotonic()
    while step < options.steps:
        for group in batches(examples, options.batch_tokens, rng):
            if step == options.steps:
                break
            batch = collate([examples[i] for i in group], pad)
            target = batch["target"]
            logits, heads = model(
                batch["source"], batch["source_mask"], batch["decoder_input"], target != pad
            )
            translation_loss = F.cross_entropy(
                logits, target[target != pad], label_smoothing=options.label_smoothing
            )
            # Head 0 of the last layer learns where each target piece comes from (what
            # CTranslate2 returns); head 0 of the first layer learns where the piece just
            # read came from, so the last layer can step on from there when copying.
            guide = batch["guide"]
            read_guide = torch.cat([torch.zeros_like(guide[:, :1]), guide[:, :-1]], dim=1)
            alignment_loss = _guided_loss(heads[-1], guide)
            read_loss = _guided_loss(heads[0], read_guide)
            loss = translation_loss + options.alignment_weight * (alignment_loss + read_loss)
            for group_ in optimizer.param_groups:
                group_["lr"] = learning_rate(step)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            if step % 100 == 0 or step == 1:
                print(
                    f"step {step:5d}  loss {translation_loss.item():.3f}  alignment "
                    f"{alignment_loss.item():.3f}  read {read_loss.item():.3f}  "
                    f"{time.monotonic() - started:6.0f}s",
                    flush=True,
                )
    model.eval()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def convert(opus_dir: Path, out: Path, quantization: str) -> None:
    """Converts into a scratch folder, then copies the model files into ``out`` (the
    converter wipes its output folder, which would take README.md with it)."""
    scratch = WORK_DIR / f"converted-{quantization}"
    ctranslate2.converters.OpusMTConverter(str(opus_dir)).convert(
        str(scratch), quantization=quantization, force=True
    )
    out.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        shutil.copyfile(opus_dir / name if name.endswith(".spm") else scratch / name, out / name)


def write_manifest(model_dir: Path, config: MarianConfig) -> None:
    manifest = {
        "name": "tarjama-test-ar-en",
        "source_language": "ar",
        "target_language": "en",
        "architecture": f"transformer-align {config.enc_depth}+{config.dec_depth}, d_model "
        f"{config.d_model}, {config.heads} heads (synthetic test model)",
        "source_url": "",
        "archive_sha256": "",
        "converter": "ctranslate2.converters.OpusMTConverter",
        "ctranslate2_version": ctranslate2.__version__,
        "quantization": "int8",
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "files": {name: sha256(model_dir / name) for name in MODEL_FILES},
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (model_dir / "manifest.json").write_text(text, encoding="utf-8")


def check_parity(
    model: MarianTransformer, examples: Sequence[Example], vocab: Sequence[str], opus_dir: Path
) -> float:
    """Largest gap between PyTorch's and CTranslate2's (float32) token log-probabilities."""
    float_dir = WORK_DIR / "float32"
    convert(opus_dir, float_dir, "float32")
    translator = ctranslate2.Translator(str(float_dir), device="cpu", compute_type="float32")
    sample = list(examples[:8])
    scored = translator.score_batch(
        [[vocab[i] for i in e.source[:-1]] for e in sample],
        [[vocab[i] for i in e.target[:-1]] for e in sample],
    )
    batch = collate(sample, pad=len(vocab) - 1)
    with torch.no_grad():
        logits, _ = model(batch["source"], batch["source_mask"], batch["decoder_input"])
        log_probs = torch.log_softmax(logits, -1)
    gap = 0.0
    for row, (example, result) in enumerate(zip(sample, scored, strict=True)):
        ours = log_probs[row, torch.arange(len(example.target)), torch.tensor(example.target)]
        gap = max(gap, float(np.abs(ours.numpy() - np.array(result.log_probs)).max()))
    return gap


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=Options.steps)
    parser.add_argument("--train-pairs", type=int, default=Options.train_pairs)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    options = Options(steps=args.steps, train_pairs=args.train_pairs)
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.torch_seed)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    train_pairs = corpus.generate(options.train_pairs, options.corpus_seed)
    leaked = [word for word in corpus.UNSEEN if any(word in p.source for p in train_pairs)]
    if leaked:
        raise SystemExit(f"the corpus contains entities meant to stay unseen: {leaked}")
    held_out = corpus.generate(
        options.held_out_pairs, options.held_out_seed, exclude={p.source for p in train_pairs}
    )
    # One SentencePiece model serves as source.spm and target.spm, so a Latin name is split
    # into the same pieces on both sides and copying it is copying pieces: with separate
    # models the model had to re-spell names and copied only 76% of unseen ones. It learns
    # from the sentences without Latin names plus the list of Latin names, so template
    # words become whole pieces instead of losing the vocabulary to random syllables.
    latin = sorted({text for pair in train_pairs for text in pair.latin})
    plain = [pair for pair in train_pairs if not pair.latin]
    texts = [p.source for p in plain] + [p.target for p in plain] + latin
    source_spm = train_sentencepiece(texts, options.vocab_size, WORK_DIR / "source.spm")
    target_spm = shutil.copyfile(source_spm, WORK_DIR / "target.spm")
    vocab = marian_vocabulary(spm_pieces(source_spm))
    index = {piece: i for i, piece in enumerate(vocab)}
    source = spm.SentencePieceProcessor(model_file=str(source_spm))
    target = spm.SentencePieceProcessor(model_file=str(target_spm))
    examples = encode(train_pairs, source, target, index)
    print(f"corpus {len(examples)} pairs, vocabulary {len(vocab)}, "
          f"{time.monotonic() - started:.0f}s", flush=True)  # fmt: skip

    config = MarianConfig(
        enc_depth=options.layers, dec_depth=options.layers, d_model=options.d_model,
        heads=options.heads, ffn_dim=options.ffn_dim,
    )  # fmt: skip
    model = MarianTransformer(config, len(vocab), options.dropout)
    train(model, examples, pad=len(vocab) - 1, options=options)

    opus_dir = write_opus_mt_dir(
        WORK_DIR / "opus", model.marian_parameters(), config, vocab, source_spm, target_spm
    )
    print(f"PyTorch vs CTranslate2 float32 log-prob gap: "
          f"{check_parity(model, examples, vocab, opus_dir):.2e}")  # fmt: skip
    convert(opus_dir, args.out, "int8")
    write_manifest(args.out, config)

    report = evaluate_model.evaluate(evaluate_model.ModelUnderTest(args.out), held_out, set(latin))
    print("\n".join(report.lines()))
    size = sum(path.stat().st_size for path in args.out.iterdir())
    print(f"model {args.out} {size / 1e6:.1f} MB, built in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
