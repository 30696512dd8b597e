"""Tiny OPUS-MT release archives (random weights) and broken variants of them.

The archive has the real release layout — Marian ``.npz`` with Marian's parameter names,
``decoder.yml``, the vocabulary ``.yml``, ``source.spm`` and ``target.spm`` — written by
:mod:`tests.builders.marian`, with SentencePiece models trained on the seed article (and
a few English sentences for the target side) with byte fallback, so any text encodes.
A 1+1-layer, d_model 16 model keeps building and converting it well under two seconds.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sentencepiece as spm

from tests.builders.marian import (
    MODEL_FILE,
    VOCAB_FILE,
    MarianConfig,
    marian_vocabulary,
    random_parameters,
    spm_pieces,
    write_opus_mt_dir,
    zip_opus_mt_dir,
)

SEED_ARTICLE = Path(__file__).resolve().parents[2] / "seeds" / "000_5cb57f188978d242.txt"
TINY_CONFIG = MarianConfig(enc_depth=1, dec_depth=1, d_model=16, heads=2, ffn_dim=32)
# The files of a release, for the missing-file variants.
RELEASE_FILES = ("decoder.yml", MODEL_FILE, VOCAB_FILE, "source.spm", "target.spm")
ENGLISH_SIDE = """\
Russian President Vladimir Putin met US Secretary of State John Kerry in Moscow.
The two men discussed the war in Syria and the fight against terrorism.
Kerry said that Washington and Moscow agree on the need for a political solution.
The talks at the Kremlin lasted for several hours on Thursday.
Putin said that Russia was ready to work with the United States.
"""


@dataclass(frozen=True)
class TinyRelease:
    """A tiny OPUS-MT release: its unpacked directory and its zip archive."""

    directory: Path
    archive: Path


def _train_spm(lines: list[str], path: Path, vocab_size: int) -> Path:
    with path.open("wb") as sink:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=sink,
            vocab_size=vocab_size,
            model_type="unigram",
            byte_fallback=True,
            character_coverage=1.0,
            hard_vocab_limit=False,
            minloglevel=2,
        )
    return path


def build_tiny_release(dest: Path, seed: int = 0) -> TinyRelease:
    """Writes ``dest/opus-tiny/`` (the release directory) and ``dest/opus-tiny.zip``."""
    dest.mkdir(parents=True, exist_ok=True)
    arabic = [line for line in SEED_ARTICLE.read_text(encoding="utf-8").splitlines() if line]
    source_spm = _train_spm(arabic, dest / "source.spm", vocab_size=400)
    target_spm = _train_spm(ENGLISH_SIDE.splitlines(), dest / "target.spm", vocab_size=300)
    vocab = marian_vocabulary(spm_pieces(source_spm) + spm_pieces(target_spm))
    directory = write_opus_mt_dir(
        dest / "opus-tiny",
        random_parameters(TINY_CONFIG, len(vocab), seed=seed),
        TINY_CONFIG,
        vocab,
        source_spm,
        target_spm,
    )
    return TinyRelease(directory, zip_opus_mt_dir(directory, dest / "opus-tiny.zip"))


def tar_gz_release(directory: Path, archive: Path, top_folder: str | None = None) -> Path:
    """The release as ``.tar.gz``, optionally inside one top-level folder."""
    with tarfile.open(archive, "w:gz") as bundle:
        for path in sorted(directory.iterdir()):
            name = f"{top_folder}/{path.name}" if top_folder else path.name
            bundle.add(path, arcname=name)
    return archive


def archive_without(directory: Path, missing: str, archive: Path) -> Path:
    """The release zipped without the file ``missing``."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(directory.iterdir()):
            if path.name != missing:
                bundle.write(path, arcname=path.name)
    return archive


def truncated_copy(archive: Path, dest: Path, fraction: float = 0.5) -> Path:
    """The first ``fraction`` of the archive's bytes, as a cut-off download leaves it."""
    data = archive.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def corrupted_copy(archive: Path, dest: Path) -> Path:
    """The archive with bytes flipped inside the compressed weights (sizes unchanged)."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as bundle:
        member = bundle.getinfo(MODEL_FILE)
    # The member's data begins after its local header (30 bytes + name + extra field).
    header_end = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    middle = header_end + member.compress_size // 2
    for offset in range(middle, middle + 64):
        data[offset] ^= 0xFF
    dest.write_bytes(bytes(data))
    return dest


def zip_slip_archive(directory: Path, archive: Path, evil_name: str) -> Path:
    """The release plus one member named ``evil_name`` (e.g. ``../evil.txt``)."""
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(directory.iterdir()):
            bundle.write(path, arcname=path.name)
        bundle.writestr(zipfile.ZipInfo(evil_name), b"written outside the store\n")
    return archive


def tar_slip_archive(directory: Path, archive: Path, evil_name: str) -> Path:
    """The release as ``.tar.gz`` plus one member named ``evil_name``."""
    payload = b"written outside the store\n"
    with tarfile.open(archive, "w:gz") as bundle:
        for path in sorted(directory.iterdir()):
            bundle.add(path, arcname=path.name)
        evil = tarfile.TarInfo(evil_name)
        evil.size = len(payload)
        bundle.addfile(evil, io.BytesIO(payload))
    return archive
