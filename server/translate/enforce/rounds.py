"""Glossary enforcement for one sentence: the rendering of every hit ends up in the
translation exactly as written, whatever the model does.

Methods, cheapest first (``TermHit.method``):

* ``inline``: the source is sent with each term replaced by its English rendering
  (attached و/ف/ب/ل/ك kept as a separate Arabic word in front, so the model still
  translates it), and the model copied the rendering.
* ``aligned``: the target words the alignment head links to the term are replaced by the
  rendering: in the decode of the injected source (a garbled copy, "Aman" for Amman), or
  in the plain translation of the sentence when that places more renderings (the model's
  own sentence with only the terms changed; words that already read as the rendering
  stay). Also the last resort: a splice where the rendering belongs.
* ``prefix``: the sentence is decoded again with a forced target prefix that ends in the
  rendering, so the model continues the sentence after it.

:class:`SentenceEnforcer` holds the state of one sentence between model calls, so that the
pipeline can batch each round across all the sentences of a document: the injected
decode; the plain decode, for sentences with terms still unplaced; then forced prefixes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tarjama.server.translate.enforce.draft import (
    Draft,
    HitPlan,
    InjectedSource,
    before_final_punctuation,
    next_word_start,
    occurrences,
    overlap,
    particle_words,
    trim_function_words,
    trim_to_rendering,
    word_bounds,
)
from tarjama.server.translate.enforce.repair import (
    remove_doubled_edges,
    remove_duplicates,
    separate_glued,
    splice,
)
from tarjama.server.translate.engine import EncodedSource, EngineResult
from tarjama.server.translate.tokens import Token, detokenize

INLINE = "inline"
ALIGNED = "aligned"
PREFIX = "prefix"

# An aligned run longer than this many target tokens per rendering token swallows more
# than the term: the alignment is not trustworthy there.
_MAX_RUN_PER_TOKEN = 2
# A run holding less than this share of the tokens aligned to the term means attention is
# scattered over the sentence.
_MIN_RUN_SHARE = 0.5


# Arabic prepositions whose English translation stands right before the noun after them.
_PREPOSITIONS = frozenset((
    "في", "إلى", "الى", "مع", "على", "من", "عن", "ضد", "بين", "قرب", "حول", "لدى", "عند",
    "نحو", "مثل", "بعد", "قبل", "خلال", "عبر", "لـ", "بـ",
))  # fmt: skip


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


@dataclass
class _State:
    """A draft and how it was reached; the enforcer keeps the better of two bases."""

    draft: Draft
    source_map: InjectedSource  # the model input the draft's decode translated
    methods: dict[int, str] = field(default_factory=dict)
    score: float = 0.0
    plain: bool = False  # the draft is the plain translation of the sentence


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
        self._state = _State(Draft(""), self.source)
        self._frozen = 0  # characters of the draft fixed by a forced prefix
        self._pending: _PendingPrefix | None = None
        self._prefix_failed = False
        self._plain_seen = False

    @property
    def model_input(self) -> str | EncodedSource:
        return self.encoded if self.encoded is not None else self.source.text

    @property
    def unplaced(self) -> list[int]:
        return [index for index in range(len(self.hits)) if index not in self._state.draft.placed]

    @property
    def wants_plain(self) -> bool:
        """The injected decode left terms unplaced and the plain one has not been seen."""
        return bool(self.unplaced) and not self._plain_seen and self._pending is None

    def accept(self, result: EngineResult) -> None:
        """Takes the model's translation of :attr:`model_input` (with attention)."""
        self.encoded = result.source
        pending, self._pending = self._pending, None
        if pending is None:
            self._start_draft(result, {}, self.source)
        elif not self._accept_prefixed(result, pending):
            # Decoding stopped inside the prefix or SentencePiece lost the rendering: keep
            # the previous draft; the final splice places what is left.
            self._prefix_failed = True
            return
        self._place_copies(result, INLINE)
        self._place_aligned(result)
        self._reassign_stray_copies()

    def accept_plain(self, result: EngineResult) -> None:
        """Takes the plain translation of the sentence (with attention). It becomes the
        base when its words aligned to the terms place more renderings than the injected
        decode did: the model's own sentence, with only the terms changed."""
        self._plain_seen = True
        if not self.unplaced:
            return
        injected = self._state
        self._start_draft(result, {}, InjectedSource.identity(self.sentence, self.hits))
        self._state.plain = True
        self._place_copies(result, ALIGNED)  # the model's own words already read right
        self._place_aligned(result)
        if len(self._state.draft.placed) < len(injected.draft.placed):
            self._state = injected

    def _accept_prefixed(self, result: EngineResult, pending: _PendingPrefix) -> bool:
        forced = pending.decoded
        target = self.hits[pending.hit].target
        if not (result.text.startswith(forced) and forced.endswith(target)):
            return False
        old = self._state.draft
        carried = {h: span for h, span in old.placed.items() if span[1] <= len(pending.kept)}
        methods = {h: self._state.methods[h] for h in carried}
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
        self._frozen = len(forced)
        self._start_draft(result, carried, self.source)
        self._state.methods = methods
        return True

    def prefix_request(self, encode_target: Callable[[str], list[str]]) -> list[str] | None:
        """Target pieces forcing the next unplaced rendering, or None when none is left."""
        unplaced = self.unplaced
        if not unplaced or self._prefix_failed:
            return None
        hit = min(unplaced, key=lambda h: (self._state.draft.anchors[h], h))
        kept = self._state.draft.text[: self._state.draft.anchors[hit]].rstrip()
        particle = particle_words(self.hits[hit], kept)
        pieces = encode_target(
            " ".join(part for part in (kept, particle, self.hits[hit].target) if part)
        )
        self._pending = _PendingPrefix(hit, kept, detokenize(pieces)[0])
        return pieces

    def finish(self) -> EnforcedSentence:
        """Splices what is still unplaced, removes duplicates; every rendering is present.
        Call once, after the last model call."""
        state = self._state
        draft = state.draft
        for hit in sorted(self.unplaced, key=lambda h: (draft.anchors[h], h), reverse=True):
            splice(draft, hit, self.hits[hit], draft.loose.get(hit))
            state.methods[hit] = ALIGNED
        remove_duplicates(draft, self.hits, self.sentence)
        remove_doubled_edges(draft, self.hits)
        separate_glued(draft, self.hits)
        placed = tuple(
            PlacedHit(hit, draft.placed[index], state.methods[index])
            for index, hit in enumerate(self.hits)
        )
        for item in placed:
            start, end = item.span
            if draft.text[start:end] != item.hit.target:
                raise AssertionError(f"rendering {item.hit.target!r} lost at {item.span}")
        links = tuple(link for link in draft.links if draft.free(*link[1]))
        return EnforcedSentence(draft.text, state.score, placed, links)

    def _start_draft(
        self, result: EngineResult, placed: dict[int, tuple[int, int]], source_map: InjectedSource
    ) -> None:
        links = []
        for link in result.links:
            source = source_map.to_sentence(*link.source)
            if source is not None:
                links.append((source, link.target))
        draft = Draft(result.text, placed=dict(placed), links=links)
        self._state = _State(draft, source_map, score=result.score)

    def _place_copies(self, result: EngineResult, method: str) -> None:
        """Renderings the model copied from the source (method inline). Where a rendering
        occurs twice, the copy the alignment links to the hit's rendering is its own."""
        draft = self._state.draft
        by_length = sorted(self.unplaced, key=lambda h: -len(self.hits[h].target))
        for hit in by_length:
            sources = set(self._rendering_tokens(result, hit))
            candidates = [
                span
                for span in occurrences(draft.text, self.hits[hit].target, self._frozen)
                if draft.free(*span)
            ]
            if candidates:
                best = max(candidates, key=lambda span: self._attending(result, span, sources))
                draft.placed[hit] = best
                self._state.methods[hit] = method

    @staticmethod
    def _attending(result: EngineResult, span: tuple[int, int], sources: set[int]) -> int:
        """How many target tokens inside ``span`` attend to one of ``sources``."""
        return sum(
            1
            for index, token in enumerate(result.target_tokens)
            if span[0] <= token.start < span[1] and result.aligned_source_token(index) in sources
        )

    def _reassign_stray_copies(self) -> None:
        """A model that drops a term often writes a neighbouring term's rendering twice
        ("Judeh will visit Vladimir Putin today for talks with Vladimir Putin" for «يزور
        جودة اللاذقية اليوم ... مع فلاديمير بوتين»). When a copied rendering occurs twice
        and exactly one of its hit's neighbours in the source is missing, the copy on that
        neighbour's side (names keep their order between Arabic and English) becomes it."""
        draft = self._state.draft
        for owner in sorted(draft.placed):
            if self._state.methods.get(owner) != INLINE or draft.placed[owner][0] < self._frozen:
                continue
            target = self.hits[owner].target
            copies = [
                span
                for span in occurrences(draft.text, target, self._frozen)
                if span == draft.placed[owner] or draft.free(*span)
            ]
            missing = [h for h in (owner - 1, owner + 1) if 0 <= h < len(self.hits)]
            missing = [h for h in missing if h not in draft.placed]
            if len(copies) != 2 or len(missing) != 1:
                continue
            stray_first = missing[0] < owner
            draft.placed[owner] = copies[1] if stray_first else copies[0]
            stray = copies[0] if stray_first else copies[1]
            draft.placed[missing[0]] = draft.replace(*stray, self.hits[missing[0]].target)
            draft.anchors.pop(missing[0], None)
            draft.loose.pop(missing[0], None)
            self._state.methods[missing[0]] = ALIGNED

    def _place_aligned(self, result: EngineResult) -> None:
        """Replaces trustworthy aligned runs; anchors every hit still unplaced."""
        draft = self._state.draft
        replacements: list[tuple[int, _Run]] = []
        for hit in self.unplaced:
            run = self._aligned_run(result, hit)
            if run is not None and (not draft.free(run.start, run.end) or run.start < self._frozen):
                run = None  # it lies on another rendering or in the forced prefix
            draft.anchors[hit] = self._anchor(result, hit, run)
            if run is None:
                continue
            limit = _MAX_RUN_PER_TOKEN * len(self._rendering_tokens(result, hit)) + 1
            if run.tokens > limit:
                continue
            if run.share >= _MIN_RUN_SHARE and all(
                run.end <= other.start or other.end <= run.start for _, other in replacements
            ):
                replacements.append((hit, run))
            else:
                draft.loose[hit] = (run.start, run.end)
        for hit, run in sorted(replacements, key=lambda item: item[1].start, reverse=True):
            draft.placed[hit] = draft.replace(run.start, run.end, self.hits[hit].target)
            self._state.methods[hit] = ALIGNED
            del draft.anchors[hit]

    def _rendering_tokens(self, result: EngineResult, hit: int) -> list[int]:
        start, end = self._state.source_map.rendering_spans[hit]
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
        if self._state.plain:  # the model's own words for the term, maybe unlike the rendering
            trimmed = trim_function_words(result.text, start, end)
        else:
            trimmed = trim_to_rendering(result.text, start, end, self.hits[hit].target)
        if trimmed is None:
            return None
        start, end = self._cover_stray_copies(*trimmed)
        covered = sum(1 for token in tokens if token.start < end and start < token.end)
        return _Run(start, end, covered, len(cluster) / len(aligned))

    def _cover_stray_copies(self, start: int, end: int) -> tuple[int, int]:
        """Widens a run over a rendering the model copied to the wrong place ("in John
        Kerry" where Moscow belongs), so that no stray half of it is left."""
        draft = self._state.draft
        for target in dict.fromkeys(hit.target for hit in self.hits):
            for s, e in occurrences(draft.text, target, self._frozen):
                if s < end and start < e and draft.free(s, e):
                    start, end = min(start, s), max(end, e)
        return start, end

    def _anchor(self, result: EngineResult, hit: int, run: _Run | None) -> int:
        """Where the rendering belongs in the draft: a word start after the frozen text, or
        the end of the sentence before its full stop."""
        text = self._state.draft.text
        position = run.start if run is not None else self._position_from_neighbours(result, hit)
        position = max(position, self._frozen)
        for start, end in self._state.draft.placed.values():
            if start < position < end:
                position = end
        return max(self._frozen, before_final_punctuation(text, next_word_start(text, position)))

    def _position_from_neighbours(self, result: EngineResult, hit: int) -> int:
        """Where the translation of the term's source neighbours puts it. Arabic and English
        agree on the order inside a phrase, not across it (verb-subject-object): a
        preposition or particle just before the term is translated just before it;
        otherwise the word just after the term is translated just after it."""
        rendering = self._rendering_tokens(result, hit)
        if not rendering:
            return 0
        targets: dict[int, list[int]] = {}
        for index, token in enumerate(result.target_tokens):
            source = result.aligned_source_token(index)
            if source is not None and token.start < token.end:
                targets.setdefault(source, []).append(index)
        tokens, source_tokens = result.target_tokens, result.source.tokens
        before, after = rendering[0] - 1, rendering[-1] + 1
        if before in targets and _is_function_word(result.source.text, source_tokens[before]):
            return tokens[targets[before][-1]].end
        if after in targets and _is_word(result.source.text, source_tokens[after]):
            return tokens[targets[after][0]].start
        preceding = [
            tokens[t].end for source, ts in targets.items() if source < before + 1 for t in ts
        ]
        return max(preceding, default=0)


def _is_function_word(text: str, token: Token) -> bool:
    """A preposition or a particle kept in front of an injected rendering («و», «بال»)."""
    word = text[token.start : token.end]
    return word in _PREPOSITIONS or (0 < len(word) <= 3 and word[0] in "وفبلك")


def _is_word(text: str, token: Token) -> bool:
    return any(char.isalnum() for char in text[token.start : token.end])
