"""Glossary enforcement for one sentence: the rendering of every hit ends up in the
translation exactly as written, whatever the model does.

Methods, cheapest first (``TermHit.method``):

* ``inline``: the source is sent with each term replaced by its English rendering
  (attached و/ف/ب/ل/ك kept as a separate Arabic word in front, so the model still
  translates it), and the model copied the rendering.
* ``aligned``: the target words the alignment head links to the injected rendering are
  replaced by the rendering. Also the last resort: a splice at the aligned position.
* ``prefix``: the sentence is decoded again with a forced target prefix that ends in the
  rendering, so the model continues the sentence after it.

:class:`SentenceEnforcer` holds the state of one sentence between model calls, so that the
pipeline can batch each round across all the sentences of a document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tarjama.server.draft import (
    WORD,
    Draft,
    HitPlan,
    InjectedSource,
    before_final_punctuation,
    delete_word_span,
    glues,
    last_word,
    next_word_start,
    occurrences,
    opens_word,
    overlap,
    particle_words,
    repeats,
    skip_spaces,
    trim_to_rendering,
    word_bounds,
)
from tarjama.server.engine import EncodedSource, EngineResult
from tarjama.server.words import detokenize

INLINE = "inline"
ALIGNED = "aligned"
PREFIX = "prefix"

# An aligned run longer than this many target tokens per rendering token swallows more
# than the term: the alignment is not trustworthy there.
_MAX_RUN_PER_TOKEN = 2
# A run holding less than this share of the tokens aligned to the term means attention is
# scattered over the sentence.
_MIN_RUN_SHARE = 0.5


@dataclass(frozen=True)
class PlacedHit:
    hit: HitPlan
    span: tuple[int, int]  # of the rendering in the final sentence translation
    method: str


@dataclass(frozen=True)
class EnforcedSentence:
    text: str
    score: float
    hits: tuple[PlacedHit, ...]
    # (sentence span, target span) of the words outside the renderings
    links: tuple[tuple[tuple[int, int], tuple[int, int]], ...]


@dataclass(frozen=True)
class _Run:
    """Target tokens aligned to one hit's rendering, as a character span."""

    start: int
    end: int
    tokens: int  # target tokens it covers
    share: float  # of the target tokens aligned to the term, the share inside the run


@dataclass(frozen=True)
class _PendingPrefix:
    hit: int  # the hit whose rendering ends the prefix
    kept: str  # the draft text kept in front of it
    decoded: str  # the prefix as the translation will spell it


class SentenceEnforcer:
    """Places the renderings of a sentence's hits, one model call at a time."""

    def __init__(self, sentence: str, hits: Sequence[HitPlan]) -> None:
        self.sentence = sentence
        self.hits = tuple(hits)
        self.source = InjectedSource.build(sentence, self.hits)
        self.encoded: EncodedSource | None = None
        self._draft = Draft("")
        self._score = 0.0
        self._methods: dict[int, str] = {}
        self._loose_runs: dict[int, _Run] = {}
        self._frozen = 0  # characters of the draft fixed by a forced prefix
        self._pending: _PendingPrefix | None = None
        self._prefix_failed = False

    @property
    def model_input(self) -> str | EncodedSource:
        return self.encoded if self.encoded is not None else self.source.text

    @property
    def unplaced(self) -> list[int]:
        return [index for index in range(len(self.hits)) if index not in self._draft.placed]

    def accept(self, result: EngineResult) -> None:
        """Takes the model's translation of :attr:`model_input` (with attention)."""
        self.encoded = result.source
        pending, self._pending = self._pending, None
        if pending is None:
            self._start_draft(result, {})
        elif not self._accept_prefixed(result, pending):
            # Decoding stopped inside the prefix or SentencePiece lost the rendering: keep
            # the previous draft; the final splice places what is left.
            self._prefix_failed = True
            return
        self._place_copies()
        self._place_aligned(result)

    def _accept_prefixed(self, result: EngineResult, pending: _PendingPrefix) -> bool:
        forced = pending.decoded
        target = self.hits[pending.hit].target
        if not (result.text.startswith(forced) and forced.endswith(target)):
            return False
        old = self._draft
        carried = {h: span for h, span in old.placed.items() if span[1] <= len(pending.kept)}
        methods = {h: self._methods[h] for h in carried}
        if not forced.startswith(pending.kept):
            # SentencePiece rewrote the kept text (spaces, control characters): find the
            # renderings it carries again, in order.
            kept_text, carried = forced[: len(forced) - len(target)], {}
            for h in sorted(methods, key=lambda h: old.placed[h]):
                for span in occurrences(kept_text, self.hits[h].target):
                    if all(not overlap(span, other) for other in carried.values()):
                        carried[h] = span
                        break
            methods = {h: m for h, m in methods.items() if h in carried}
        carried[pending.hit] = (len(forced) - len(target), len(forced))
        methods[pending.hit] = PREFIX
        self._methods = methods
        self._frozen = len(forced)
        self._start_draft(result, carried)
        return True

    def prefix_request(self, encode_target: Callable[[str], list[str]]) -> list[str] | None:
        """Target pieces forcing the next unplaced rendering, or None when none is left."""
        unplaced = self.unplaced
        if not unplaced or self._prefix_failed:
            return None
        hit = min(unplaced, key=lambda h: (self._draft.anchors[h], h))
        kept = self._draft.text[: self._draft.anchors[hit]].rstrip()
        particle = particle_words(self.hits[hit], kept)
        pieces = encode_target(
            " ".join(part for part in (kept, particle, self.hits[hit].target) if part)
        )
        self._pending = _PendingPrefix(hit, kept, detokenize(pieces)[0])
        return pieces

    def finish(self) -> EnforcedSentence:
        """Splices what is still unplaced, removes duplicates; every rendering is present."""
        draft = self._draft
        for hit in sorted(self.unplaced, key=lambda h: (draft.anchors[h], h), reverse=True):
            self._splice(hit)
        self._remove_duplicates()
        self._remove_doubled_edges()
        self._separate_glued()
        placed = tuple(
            PlacedHit(hit, draft.placed[index], self._methods[index])
            for index, hit in enumerate(self.hits)
        )
        for item in placed:
            start, end = item.span
            if draft.text[start:end] != item.hit.target:
                raise AssertionError(f"rendering {item.hit.target!r} lost at {item.span}")
        links = tuple(link for link in draft.links if draft.free(*link[1]))
        return EnforcedSentence(draft.text, self._score, placed, links)

    # -- one decode ------------------------------------------------------------------------

    def _start_draft(self, result: EngineResult, placed: dict[int, tuple[int, int]]) -> None:
        links = []
        for link in result.links:
            source = self.source.to_sentence(*link.source)
            if source is not None:
                links.append((source, link.target))
        self._draft = Draft(result.text, placed=dict(placed), links=links)
        self._score = result.score
        self._loose_runs = {}

    def _place_copies(self) -> None:
        """Renderings the model copied from the source (method inline)."""
        draft = self._draft
        by_length = sorted(self.unplaced, key=lambda h: -len(self.hits[h].target))
        for hit in by_length:
            for start, end in occurrences(draft.text, self.hits[hit].target, self._frozen):
                if draft.free(start, end):
                    draft.placed[hit] = (start, end)
                    self._methods[hit] = INLINE
                    break

    def _place_aligned(self, result: EngineResult) -> None:
        """Replaces trustworthy aligned runs; anchors every hit still unplaced."""
        draft = self._draft
        replacements: list[tuple[int, _Run]] = []
        for hit in self.unplaced:
            run = self._aligned_run(result, hit)
            draft.anchors[hit] = self._anchor(result, hit, run)
            if run is None or not draft.free(run.start, run.end) or run.start < self._frozen:
                continue
            limit = _MAX_RUN_PER_TOKEN * len(self._rendering_tokens(result, hit)) + 1
            if run.tokens > limit:
                continue
            if run.share >= _MIN_RUN_SHARE and all(
                run.end <= other.start or other.end <= run.start for _, other in replacements
            ):
                replacements.append((hit, run))
            else:
                self._loose_runs[hit] = run
        for hit, run in sorted(replacements, key=lambda item: item[1].start, reverse=True):
            draft.placed[hit] = draft.replace(run.start, run.end, self.hits[hit].target)
            self._methods[hit] = ALIGNED
            del draft.anchors[hit]
        self._loose_runs = {
            hit: run for hit, run in self._loose_runs.items() if hit not in draft.placed
        }

    def _rendering_tokens(self, result: EngineResult, hit: int) -> list[int]:
        start, end = self.source.rendering_spans[hit]
        return [
            index
            for index, token in enumerate(result.source.tokens)
            if token.start < end and start < token.end
        ]

    def _aligned_run(self, result: EngineResult, hit: int) -> _Run | None:
        sources = set(self._rendering_tokens(result, hit))
        aligned = [
            index
            for index, token in enumerate(result.target_tokens)
            if token.start < token.end and result.aligned_source_token(index) in sources
        ]
        if not aligned:
            return None
        clusters: list[list[int]] = []
        for index in aligned:
            if clusters and index == clusters[-1][-1] + 1:
                clusters[-1].append(index)
            else:
                clusters.append([index])
        cluster = max(clusters, key=len)
        tokens = result.target_tokens
        start, end = word_bounds(result.text, tokens[cluster[0]].start, tokens[cluster[-1]].end)
        trimmed = trim_to_rendering(result.text, start, end, self.hits[hit].target)
        if trimmed is None:
            return None
        start, end = self._cover_stray_copies(*trimmed)
        covered = sum(1 for token in tokens if token.start < end and start < token.end)
        return _Run(start, end, covered, len(cluster) / len(aligned))

    def _cover_stray_copies(self, start: int, end: int) -> tuple[int, int]:
        """Widens a run over a rendering the model copied to the wrong place ("in John
        Kerry" where Moscow belongs), so that no stray half of it is left."""
        draft = self._draft
        for target in dict.fromkeys(hit.target for hit in self.hits):
            for s, e in occurrences(draft.text, target, self._frozen):
                if s < end and start < e and draft.free(s, e):
                    start, end = min(start, s), max(end, e)
        return start, end

    def _anchor(self, result: EngineResult, hit: int, run: _Run | None) -> int:
        """Where the rendering belongs in the draft: a word start after the frozen text, or
        the end of the sentence before its full stop."""
        text = self._draft.text
        if run is not None:
            position = run.start
        else:
            first_source = min(self._rendering_tokens(result, hit), default=0)
            ends = [
                token.end
                for index, token in enumerate(result.target_tokens)
                if (aligned := result.aligned_source_token(index)) is not None
                and aligned < first_source
            ]
            position = max(ends, default=0)
        position = max(position, self._frozen)
        for start, end in self._draft.placed.values():
            if start < position < end:
                position = end
        return max(self._frozen, before_final_punctuation(text, next_word_start(text, position)))

    # -- the last resort and the clean-up --------------------------------------------------

    def _splice(self, hit: int) -> None:
        draft = self._draft
        run = self._loose_runs.get(hit)
        target = self.hits[hit].target
        if run is not None and draft.free(run.start, run.end):
            draft.placed[hit] = draft.replace(run.start, run.end, target)
        else:
            position = draft.anchors[hit]
            text = draft.text
            before = text[:position].rstrip()
            particle = particle_words(self.hits[hit], before)
            left = " " if position > 0 and not text[position - 1].isspace() else ""
            right = " " if position < len(text) and opens_word(text[position]) else ""
            inserted = left + (particle + " " if particle else "")
            start, _ = draft.replace(position, position, inserted + target + right)
            draft.placed[hit] = (start + len(inserted), start + len(inserted) + len(target))
        draft.anchors.pop(hit, None)
        self._methods[hit] = ALIGNED

    def _remove_duplicates(self) -> None:
        """Drops copies of a rendering beyond one per hit (the model sometimes repeats an
        injected name), except copies of Latin text the source itself contains."""
        draft = self._draft
        for target in dict.fromkeys(hit.target for hit in self.hits):
            allowed = len(occurrences(self._source_outside_hits(), target))
            extra = [span for span in occurrences(draft.text, target) if draft.free(*span)]
            for start, end in reversed(extra[allowed:]):
                delete_word_span(draft, start, end)

    def _remove_doubled_edges(self) -> None:
        """ "the the Kremlin", "Nusra Front Front": a word repeated across a rendering's edge."""
        draft = self._draft
        for hit in sorted(draft.placed, key=lambda h: draft.placed[h][0], reverse=True):
            words = WORD.findall(self.hits[hit].target)
            if not words:
                continue
            start, end = draft.placed[hit]
            after = WORD.match(draft.text, skip_spaces(draft.text, end))
            if after and after.start() > end and repeats(draft, after, words[-1]):
                delete_word_span(draft, *after.span())
            before = last_word(draft.text, start)
            if before and repeats(draft, before, words[0]):
                delete_word_span(draft, *before.span())

    def _separate_glued(self) -> None:
        """A rendering must stand as its own word: "Putin" + "s" becomes "Putin s"."""
        draft = self._draft
        for hit in sorted(draft.placed, key=lambda h: draft.placed[h][0], reverse=True):
            start, end = draft.placed[hit]
            target = self.hits[hit].target
            if end < len(draft.text) and glues(draft.text[end]) and target[-1].isalnum():
                draft.replace(end, end, " ")
            if start > 0 and glues(draft.text[start - 1]) and target[0].isalnum():
                draft.replace(start, start, " ")

    def _source_outside_hits(self) -> str:
        parts, copied = [], 0
        for hit in self.hits:
            parts.append(self.sentence[copied : hit.start])
            copied = hit.end
        parts.append(self.sentence[copied:])
        return " ".join(parts)
