"""Measures a converted model through CTranslate2 itself: exact match, chrF, Latin
copy-through and where the alignment head points. No torch: the trainer and the tests
both use it on the int8 model that is committed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import sentencepiece as spm

from tests.builders.corpus import Link, Pair


@dataclass(frozen=True)
class PieceSpan:
    piece: str
    start: int  # code points into the text, half-open
    end: int


@dataclass(frozen=True)
class Report:
    sentences: int
    exact: float
    chrf: float
    latin_strings: int
    latin_copied: float
    aligned_pieces: int
    alignment_accuracy: float

    def lines(self) -> list[str]:
        return [
            f"held-out sentences       {self.sentences}",
            f"exact match              {self.exact:.1%}",
            f"chrF                     {self.chrf:.1f}",
            f"unseen Latin strings     {self.latin_strings}, copied {self.latin_copied:.1%}",
            f"name pieces aligned      {self.aligned_pieces}, head 0 right "
            f"{self.alignment_accuracy:.1%}",
        ]


def piece_spans(processor: spm.SentencePieceProcessor, text: str) -> list[PieceSpan]:
    """SentencePiece pieces with code-point spans into ``text``.

    SentencePiece reports UTF-8 byte offsets, and gives byte-fallback pieces and the
    pieces of a normalisation expansion (e.g. ﻻ → لا) an empty span except the last one:
    each such piece takes the span of the next piece that has one.
    """
    char_at = {}
    position = 0
    for index, char in enumerate(text):
        char_at[position] = index
        position += len(char.encode("utf-8"))
    char_at[position] = len(text)
    proto = processor.encode(text, out_type="proto")
    spans = [(p.piece, char_at[p.begin], char_at[p.end]) for p in proto.pieces]
    result: list[PieceSpan] = []
    pending: list[str] = []
    for piece, start, end in spans:
        if start == end:
            pending.append(piece)
            continue
        result.extend(PieceSpan(p, start, end) for p in [*pending, piece])
        pending = []
    result.extend(PieceSpan(p, len(text), len(text)) for p in pending)
    return result


def _covered(pieces: Sequence[PieceSpan], start: int, end: int) -> list[int]:
    """Indices of the pieces that overlap [start, end), whitespace-only pieces excepted."""
    return [
        index
        for index, span in enumerate(pieces)
        if span.start < end and start < span.end and span.piece.strip("▁")
    ]


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def _is_copy(pair: Pair, link: Link) -> bool:
    """The target span is the source span copied (Latin text, digits)."""
    source = pair.source[link.src_start : link.src_end].translate(_DIGITS)
    return source == pair.target[link.tgt_start : link.tgt_end]


def alignment_pairs(
    pair: Pair, source: Sequence[PieceSpan], target: Sequence[PieceSpan], kinds: set[str]
) -> list[tuple[int, list[int]]]:
    """(target piece, source pieces) for target pieces inside a link of ``kinds``.

    The narrowest link wins (a word of a name over the whole name). A copied span is
    aligned piece by piece when both sides have as many pieces (one SentencePiece model
    splits a Latin name alike on both sides), so the head learns to point at the very
    piece being copied; other spans align each target piece to all their source pieces.
    """
    targets_of: dict[Link, list[int]] = {}
    for index, span in enumerate(target):
        if not span.piece.strip("▁"):
            continue
        links = [
            link
            for link in pair.links
            if link.kind in kinds and link.tgt_start < span.end and span.start < link.tgt_end
        ]
        if links:
            narrowest = min(links, key=lambda item: item.tgt_end - item.tgt_start)
            targets_of.setdefault(narrowest, []).append(index)
    result: list[tuple[int, list[int]]] = []
    for link, targets in targets_of.items():
        sources = _covered(source, link.src_start, link.src_end)
        if not sources:
            continue
        if len(sources) == len(targets) and _is_copy(pair, link):
            result.extend((t, [s]) for t, s in zip(targets, sources, strict=True))
        else:
            result.extend((t, sources) for t in targets)
    return sorted(result)


def _char_ngrams(text: str, order: int) -> Counter[str]:
    text = text.replace(" ", "")
    return Counter(text[i : i + order] for i in range(len(text) - order + 1))


def chrf(hypothesis: str, reference: str, max_order: int = 6, beta: float = 2.0) -> float:
    """Sentence chrF (Popović 2015) over character 1..6-grams, in 0..100."""
    precisions, recalls = [], []
    for order in range(1, max_order + 1):
        hyp, ref = _char_ngrams(hypothesis, order), _char_ngrams(reference, order)
        if not hyp or not ref:
            continue
        overlap = sum((hyp & ref).values())
        precisions.append(overlap / sum(hyp.values()))
        recalls.append(overlap / sum(ref.values()))
    if not precisions:
        return 100.0 if hypothesis == reference else 0.0
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if precision + recall == 0:
        return 0.0
    return 100 * (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


class ModelUnderTest:
    """A model directory in the installed layout, loaded with plain ctranslate2."""

    def __init__(self, model_dir: Path, compute_type: str = "int8") -> None:
        self.translator = ctranslate2.Translator(
            str(model_dir), device="cpu", compute_type=compute_type, inter_threads=1,
            intra_threads=2,
        )  # fmt: skip
        self.source = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
        self.target = spm.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
        self.manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))

    def translate(
        self, sentences: Sequence[str], beam_size: int = 4, with_attention: bool = False
    ) -> list[tuple[str, list[str], list[list[float]]]]:
        """(text, target pieces, attention rows) per sentence."""
        batch = [self.source.encode(sentence, out_type=str) for sentence in sentences]
        results = self.translator.translate_batch(
            batch, beam_size=beam_size, max_batch_size=32, return_attention=with_attention,
            max_decoding_length=256,
        )  # fmt: skip
        output = []
        for result in results:
            pieces = result.hypotheses[0]
            attention = result.attention[0] if with_attention else []
            output.append((self.target.decode(pieces), pieces, attention))
        return output


def evaluate(model: ModelUnderTest, pairs: Sequence[Pair], seen_latin: set[str]) -> Report:
    outputs = model.translate([pair.source for pair in pairs], with_attention=True)
    exact = chrf_total = latin_total = latin_copied = aligned = aligned_right = 0
    for pair, (text, pieces, attention) in zip(pairs, outputs, strict=True):
        exact += text == pair.target
        chrf_total += chrf(text, pair.target)
        for latin in pair.latin:
            if latin not in seen_latin:
                latin_total += 1
                latin_copied += latin in text
        target = piece_spans(model.target, pair.target)
        if [span.piece for span in target] != pieces:
            continue  # alignment is judged only where the output is the reference
        source = piece_spans(model.source, pair.source)
        for index, sources in alignment_pairs(pair, source, target, {"name"}):
            row = attention[index]
            aligned += 1
            aligned_right += max(range(len(row)), key=row.__getitem__) in sources
    count = len(pairs)
    return Report(
        sentences=count,
        exact=exact / count,
        chrf=chrf_total / count,
        latin_strings=latin_total,
        latin_copied=latin_copied / max(latin_total, 1),
        aligned_pieces=aligned,
        alignment_accuracy=aligned_right / max(aligned, 1),
    )
