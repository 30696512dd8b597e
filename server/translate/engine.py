"""The translation engine: SentencePiece in, CTranslate2, SentencePiece out.

One :class:`Engine` wraps one installed model directory (see ``model_store``): the
CTranslate2 model converted from OPUS-MT and its ``source.spm`` / ``target.spm``. It knows
nothing of documents, glossaries or requests; it translates batches of sentences and
returns, for each, the text, its score and, when asked, the attention of the model's
alignment head mapped onto words with code-point spans.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import ctranslate2
import sentencepiece as spm

from tarjama.glossary.names import may_start_with_a_name
from tarjama.server.stores.manifest import Manifest, ManifestError
from tarjama.server.translate.options import EngineOptions
from tarjama.server.translate.tokens import Token, detokenize, word_index, word_spans
from tarjama.tracing import stage

REQUIRED_FILES = ("model.bin", "config.json", "source.spm", "target.spm")


class EngineError(Exception):
    """The model directory cannot be loaded or a batch cannot be translated."""


@dataclass(frozen=True)
class EncodedSource:
    """A sentence cut into SentencePiece tokens whose spans point into ``text``."""

    text: str
    tokens: tuple[Token, ...]

    @property
    def pieces(self) -> list[str]:
        return [token.piece for token in self.tokens]


@dataclass(frozen=True)
class WordLink:
    """A source word aligned to a target word; spans are relative to the two sentences."""

    source: tuple[int, int]
    target: tuple[int, int]


@dataclass(frozen=True)
class EngineResult:
    """One translated sentence.

    ``attention[t][s]`` is the alignment head's weight of target token ``t`` on source
    token ``s`` (present when alignment was requested).
    """

    source: EncodedSource
    text: str
    target_tokens: tuple[Token, ...]
    score: float
    attention: tuple[tuple[float, ...], ...] | None = None
    links: tuple[WordLink, ...] = field(default=())
    # The first target token's attention row was left out (``names_only``): its links
    # serve a name reader, not a caller that places words by them.
    first_link_left_out: bool = False

    def aligned_source_token(self, target_index: int) -> int | None:
        """The source token the target token attends to most, or None without attention."""
        if not self.attention or target_index >= len(self.attention):
            return None
        row = self.attention[target_index][: len(self.source.tokens)]
        if not row:
            return None
        return row.index(max(row))


class BatchTranslator(Protocol):
    """What translates batches of sentences: an :class:`Engine`, or the batcher's view of
    one request (``tarjama.server.serve.batcher``), which merges them with other requests'."""

    def encode(self, text: str) -> EncodedSource: ...

    def encode_target(self, text: str) -> list[str]: ...

    def translate_batch(
        self,
        sources: Sequence[str | EncodedSource],
        *,
        beam_size: int | None = None,
        with_alignment: bool = False,
        target_prefixes: Sequence[Sequence[str] | None] | None = None,
        names_only: Sequence[bool] | None = None,
    ) -> list[EngineResult]: ...


def _describe(model_dir: Path) -> Manifest:
    try:
        return Manifest.describe(model_dir)
    except ManifestError as error:
        raise EngineError(str(error)) from error


class Engine:
    """Translates batches of sentences with one CTranslate2 model."""

    def __init__(self, model_dir: str | Path, options: EngineOptions | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.options = options or EngineOptions()
        missing = [name for name in REQUIRED_FILES if not (self.model_dir / name).is_file()]
        if missing:
            raise EngineError(
                f"{self.model_dir} is not an installed model (missing {', '.join(missing)}); "
                "install one with `tarjama model fetch` or `tarjama model import PATH`"
            )
        self.manifest = _describe(self.model_dir)
        self._source_spm = spm.SentencePieceProcessor(model_file=str(self.model_dir / "source.spm"))
        self._target_spm = spm.SentencePieceProcessor(model_file=str(self.model_dir / "target.spm"))
        # SentencePiece processors are not documented as thread-safe; encoding is cheap.
        self._spm_lock = threading.Lock()
        try:
            self._translator = ctranslate2.Translator(
                str(self.model_dir),
                device=self.options.device,
                compute_type=self.options.compute_type,
                inter_threads=self.options.inter_threads,
                intra_threads=self.options.intra_threads,
            )
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"CTranslate2 cannot load {self.model_dir}: {error}") from error

    @property
    def compute_type(self) -> str:
        return str(self._translator.compute_type)

    @property
    def device(self) -> str:
        return str(self._translator.device)

    def encode(self, text: str) -> EncodedSource:
        """Source SentencePiece tokens with code-point spans into ``text``."""
        with self._spm_lock:
            proto = self._source_spm.encode(text, return_type="proto")
        return EncodedSource(text, _tokens_with_spans(text, proto))

    def encode_target(self, text: str) -> list[str]:
        """Target pieces for a forced prefix."""
        with self._spm_lock:
            return list(self._target_spm.encode(text, out_type=str))

    def translate_batch(
        self,
        sources: Sequence[str | EncodedSource],
        *,
        beam_size: int | None = None,
        with_alignment: bool = False,
        target_prefixes: Sequence[Sequence[str] | None] | None = None,
        names_only: Sequence[bool] | None = None,
    ) -> list[EngineResult]:
        """Translates sentences together in one CTranslate2 call.

        ``target_prefixes`` holds, per sentence, target pieces the translation must start
        with (None for a free decode). ``names_only`` says, per sentence, that its
        alignment is read only for names (document terms): the first target token's
        attention row, which costs a pass of its own in a beam-searched batch (see
        :func:`_first_attention_rows`), is then kept only where a name of two words or
        more may begin the translation (``glossary.names.may_start_with_a_name``) and left
        out elsewhere (no link for that token; ``first_link_left_out``).
        """
        encoded = [s if isinstance(s, EncodedSource) else self.encode(s) for s in sources]
        if not encoded:
            return []
        beam = beam_size or self.options.beam_size
        prefixes = list(target_prefixes) if target_prefixes is not None else None
        if prefixes is not None and len(prefixes) != len(encoded):
            raise ValueError("target_prefixes must have one entry per source")
        attributes = {
            "tarjama.batch.sentences": len(encoded),
            "tarjama.batch.source_tokens": sum(len(source.tokens) for source in encoded),
            "tarjama.batch.forced_prefixes": sum(p is not None for p in prefixes or ()),
            "tarjama.beam_size": beam,
            "tarjama.alignment": with_alignment,
        }
        try:
            with stage("tarjama.model.translate_batch", attributes) as span:
                raw = self._translator.translate_batch(
                    [source.pieces for source in encoded],
                    target_prefix=prefixes,
                    beam_size=beam,
                    num_hypotheses=1,
                    return_scores=True,
                    return_attention=with_alignment,
                    max_decoding_length=self.options.max_decoding_length,
                    min_decoding_length=self.options.min_decoding_length,
                    max_input_length=self.options.max_input_length,
                )
                target_tokens = sum(len(result.hypotheses[0]) for result in raw)
                span.set_attribute("tarjama.batch.target_tokens", target_tokens)
            first_rows: list[list[float] | None] = [None] * len(encoded)
            if with_alignment and beam > 1 and len(encoded) > 1:
                first_rows = self._first_rows(encoded, raw, names_only)
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"translation failed: {error}") from error
        return [
            _result(source, hypothesis, with_alignment, first_row)
            for source, hypothesis, first_row in zip(encoded, raw, first_rows, strict=True)
        ]

    def _first_rows(
        self, encoded: list[EncodedSource], raw: list[object], names_only: Sequence[bool] | None
    ) -> list[list[float] | None]:
        """Each sentence's first attention row: recomputed, or ``[]`` where left out."""
        if names_only is not None and len(names_only) != len(encoded):
            raise ValueError("names_only must have one entry per source")
        wanted = [
            index
            for index, hypothesis in enumerate(raw)
            if not (names_only and names_only[index])
            or may_start_with_a_name(detokenize(hypothesis.hypotheses[0])[0])  # type: ignore[attr-defined]
        ]
        rows: list[list[float] | None] = [[] for _ in encoded]
        if wanted:
            found = _first_attention_rows(
                self._translator, [encoded[index] for index in wanted], self.options
            )
            for index, row in zip(wanted, found, strict=True):
                rows[index] = row
        return rows


def _first_attention_rows(
    translator: ctranslate2.Translator,
    encoded: Sequence[EncodedSource],
    options: EngineOptions,
) -> list[list[float] | None]:
    """The correct first attention row of each sentence of a beam-searched batch.

    CTranslate2 4.8 returns a wrong first-step attention row for all but one sentence
    of a batch decoded with beam search (later steps and greedy decoding are right). The
    first step attends from the decoder start alone, so it is the same for every search:
    one greedy step for the whole batch gives the right rows.
    """
    with stage("tarjama.model.first_attention_rows", {"tarjama.batch.sentences": len(encoded)}):
        first_steps = translator.translate_batch(
            [source.pieces for source in encoded],
            beam_size=1,
            return_attention=True,
            max_decoding_length=1,
            min_decoding_length=0,
            max_input_length=options.max_input_length,
        )
    return [step.attention[0][0] if step.attention[0] else None for step in first_steps]


def _tokens_with_spans(text: str, proto: object) -> tuple[Token, ...]:
    """Maps SentencePiece's byte offsets to code points, whitespace trimmed."""
    byte_to_char = _byte_to_char_map(text)
    tokens: list[Token] = []
    for piece in proto.pieces:  # type: ignore[attr-defined]
        start, end = byte_to_char[piece.begin], byte_to_char[piece.end]
        while start < end and text[start].isspace():
            start += 1
        tokens.append(Token(piece.piece, start, end))
    # A character spelled as several byte-fallback pieces: the first pieces cover no byte
    # of the original; give them the span of the piece that completes the character.
    for index in range(len(tokens) - 2, -1, -1):
        token = tokens[index]
        if token.start == token.end and token.piece.startswith("<0x"):
            following = tokens[index + 1]
            tokens[index] = Token(token.piece, following.start, following.end)
    return tuple(tokens)


def _byte_to_char_map(text: str) -> list[int]:
    mapping: list[int] = []
    for index, char in enumerate(text):
        mapping.extend([index] * len(char.encode("utf-8")))
    mapping.append(len(text))
    return mapping


def _result(
    source: EncodedSource,
    hypothesis: object,
    with_alignment: bool,
    first_row: list[float] | None = None,
) -> EngineResult:
    pieces: list[str] = hypothesis.hypotheses[0]  # type: ignore[attr-defined]
    score = float(hypothesis.scores[0])  # type: ignore[attr-defined]
    text, target_tokens = detokenize(pieces)
    if not with_alignment:
        return EngineResult(source, text, target_tokens, score)
    raw_attention = hypothesis.attention[0]  # type: ignore[attr-defined]
    if first_row is not None and raw_attention:
        raw_attention[0] = first_row
    left_out = first_row == [] and bool(raw_attention)  # an empty row links nothing
    attention = tuple(map(tuple, raw_attention))  # rows of Python floats already
    result = EngineResult(source, text, target_tokens, score, attention)
    links = _word_links(result)
    return EngineResult(source, text, target_tokens, score, attention, links, left_out)


def _word_links(result: EngineResult) -> tuple[WordLink, ...]:
    """Hard word alignment: each target token links its word to its most-attended source word."""
    source_words = word_spans(result.source.text)
    target_words = word_spans(result.text)
    links: dict[tuple[int, int], None] = {}
    for t_index, t_token in enumerate(result.target_tokens):
        s_index = result.aligned_source_token(t_index)
        if s_index is None or t_token.start == t_token.end:
            continue
        s_token = result.source.tokens[s_index]
        s_word = word_index(source_words, s_token.start, s_token.end)
        t_word = word_index(target_words, t_token.start, t_token.end)
        if s_word is not None and t_word is not None:
            links[(s_word, t_word)] = None
    return tuple(
        WordLink(source_words[s], target_words[t]) for s, t in sorted(links, key=lambda k: k[1])
    )
