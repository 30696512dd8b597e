"""Write models in the real OPUS-MT / Marian layout.

An OPUS-MT release (e.g. ``ar-en/opus-2019-12-18.zip``) holds a Marian ``.npz`` with
Marian's own parameter names and the model options under ``special:model.yml``, a
``decoder.yml`` naming the model and vocabularies, one shared vocabulary ``.yml`` and the
``source.spm`` / ``target.spm`` SentencePiece models. This module writes exactly that, for
random weights (the loopback download tests, the benchmark model) and for the trained
test model, so both go through the same ``OpusMTConverter`` path as the real model.

Shapes follow Marian: weight matrices are stored input-major ``[in, out]``, biases and
layer-norm parameters as ``[1, n]``, embeddings tied across encoder, decoder and output.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

MODEL_FILE = "opus.spm32k-spm32k.transformer-align.model1.npz.best-perplexity.npz"
VOCAB_FILE = "opus.spm32k-spm32k.vocab.yml"
SPECIAL_TOKENS = ("</s>", "<unk>")  # Marian puts eos at 0 and unk at 1; <pad> goes last
PAD_TOKEN = "<pad>"
_BIAS = re.compile(r"_b[qkvo12]?$")


@dataclass(frozen=True)
class MarianConfig:
    """Architecture options of a Marian transformer (opus-mt-ar-en by default)."""

    enc_depth: int = 6
    dec_depth: int = 6
    d_model: int = 512
    heads: int = 8
    ffn_dim: int = 2048
    activation: str = "swish"

    def model_yml(self, vocab_size: int) -> dict[str, object]:
        return {
            "type": "transformer",
            "dim-vocabs": [vocab_size, vocab_size],
            "dim-emb": self.d_model,
            "enc-depth": self.enc_depth,
            "dec-depth": self.dec_depth,
            "transformer-heads": self.heads,
            "transformer-dim-ffn": self.ffn_dim,
            "transformer-ffn-activation": self.activation,
            "transformer-ffn-depth": 2,
            "transformer-preprocess": "",
            "transformer-postprocess": "dan",
            "transformer-postprocess-emb": "d",
            "transformer-decoder-autoreg": "self-attention",
            "transformer-no-projection": False,
            "transformer-guided-alignment-layer": "last",
            "guided-alignment": "train.align",
            "tied-embeddings-all": True,
            "version": "v1.7.6 tarjama-test-builder",
        }


def parameter_shapes(config: MarianConfig, vocab_size: int) -> dict[str, tuple[int, ...]]:
    """Every parameter of the model with its Marian name and shape."""
    d, f = config.d_model, config.ffn_dim
    shapes: dict[str, tuple[int, ...]] = {"Wemb": (vocab_size, d)}

    def attention(prefix: str) -> None:
        for part in "qkvo":
            shapes[f"{prefix}_W{part}"] = (d, d)
            shapes[f"{prefix}_b{part}"] = (1, d)
        shapes[f"{prefix}_Wo_ln_scale"] = (1, d)
        shapes[f"{prefix}_Wo_ln_bias"] = (1, d)

    def ffn(prefix: str) -> None:
        shapes[f"{prefix}_W1"] = (d, f)
        shapes[f"{prefix}_b1"] = (1, f)
        shapes[f"{prefix}_W2"] = (f, d)
        shapes[f"{prefix}_b2"] = (1, d)
        shapes[f"{prefix}_ffn_ln_scale"] = (1, d)
        shapes[f"{prefix}_ffn_ln_bias"] = (1, d)

    for layer in range(1, config.enc_depth + 1):
        attention(f"encoder_l{layer}_self")
        ffn(f"encoder_l{layer}_ffn")
    for layer in range(1, config.dec_depth + 1):
        attention(f"decoder_l{layer}_self")
        attention(f"decoder_l{layer}_context")
        ffn(f"decoder_l{layer}_ffn")
    shapes["decoder_ff_logit_out_b"] = (1, vocab_size)
    return shapes


def random_parameters(
    config: MarianConfig, vocab_size: int, seed: int = 0
) -> dict[str, np.ndarray]:
    """Random weights of the right shapes: layer norms at identity, small matrices."""
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    for name, shape in parameter_shapes(config, vocab_size).items():
        if name.endswith("_ln_scale"):
            params[name] = np.ones(shape, dtype=np.float32)
        elif name.endswith("_ln_bias") or _BIAS.search(name):
            params[name] = np.zeros(shape, dtype=np.float32)
        else:
            scale = 1.0 / np.sqrt(shape[0]) if name != "Wemb" else config.d_model**-0.5
            params[name] = rng.normal(0.0, scale, size=shape).astype(np.float32)
    return params


def _quote(token: str) -> str:
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_vocab(path: Path, tokens: Sequence[str]) -> None:
    """Marian vocabulary YAML: one ``"token": id`` line per token, ids in order."""
    lines = [f"{_quote(token)}: {index}\n" for index, token in enumerate(tokens)]
    path.write_text("".join(lines), encoding="utf-8")


def marian_vocabulary(pieces: Iterable[str]) -> list[str]:
    """Marian's order: </s>, <unk>, the pieces (each once), <pad> last."""
    tokens = list(SPECIAL_TOKENS)
    seen = set(tokens) | {PAD_TOKEN}
    for piece in pieces:
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece)
    tokens.append(PAD_TOKEN)
    return tokens


def spm_pieces(spm_path: Path) -> list[str]:
    """The pieces of a SentencePiece model, without its control symbols."""
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=str(spm_path))
    return [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]


def write_opus_mt_dir(
    dest: Path,
    params: Mapping[str, np.ndarray],
    config: MarianConfig,
    vocab: Sequence[str],
    source_spm: Path,
    target_spm: Path,
) -> Path:
    """Writes an OPUS-MT model directory; returns ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    expected = parameter_shapes(config, len(vocab))
    missing = sorted(set(expected) - set(params))
    wrong = sorted(n for n in expected if n in params and params[n].shape != expected[n])
    if missing or wrong:
        raise ValueError(f"parameters do not fit the config: missing {missing}, wrong {wrong}")
    model_yml = yaml.safe_dump(config.model_yml(len(vocab))).encode("utf-8") + b"\0"
    arrays = {name: np.asarray(params[name], dtype=np.float32) for name in expected}
    arrays["special:model.yml"] = np.frombuffer(model_yml, dtype=np.int8)
    np.savez(dest / MODEL_FILE, **arrays)  # type: ignore[arg-type]
    write_vocab(dest / VOCAB_FILE, vocab)
    decoder = {
        "models": [MODEL_FILE],
        "vocabs": [VOCAB_FILE, VOCAB_FILE],
        "beam-size": 6,
        "normalize": 0.6,
        "word-penalty": 0,
        "mini-batch": 1,
        "maxi-batch": 1,
        "maxi-batch-sort": "src",
        "relative-paths": True,
    }
    (dest / "decoder.yml").write_text(yaml.safe_dump(decoder), encoding="utf-8")
    (dest / "source.spm").write_bytes(Path(source_spm).read_bytes())
    (dest / "target.spm").write_bytes(Path(target_spm).read_bytes())
    (dest / "README.md").write_text(
        "# opus-2019-12-18.zip\n\n* model: transformer-align\n* pre-processing: "
        "normalization + SentencePiece\n",
        encoding="utf-8",
    )
    return dest


def zip_opus_mt_dir(model_dir: Path, archive: Path) -> Path:
    """Packs an OPUS-MT directory the way the releases are packed: files at the top."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(model_dir.iterdir()):
            bundle.write(path, arcname=path.name)
    return archive
