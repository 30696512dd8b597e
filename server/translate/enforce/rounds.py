"""Glossary enforcement for one sentence: the rendering of every hit ends up in the
translation exactly as written, whatever the model does.

Methods, cheapest first (``TermHit.method``):

* ``model``: the model's plain translation of the sentence already wrote the rendering
  there; nothing was changed.
* ``inline``: the source is sent with each term replaced by its English rendering
  (attached و/ف/ب/ل/ك kept as a separate Arabic word in front, so the model still
  translates it), and the model copied the rendering. A copy that only begins a longer
  name ("Washington" in "Washington Post") is not a placement.
* ``aligned``: the target words the alignment head links to the term are replaced by the
  rendering: in the decode of the injected source (a garbled copy, "Aman" for Amman), or
  in the plain translation (the model's own sentence with only the terms changed). Also
  the last resort: a splice where the rendering belongs.

Of the two drafts, the one that places more renderings with fewer defects around them
(stacked renderings, absorbed names, Arabic left over; :mod:`.english`) is kept. Then
:mod:`.repair` tidies the English around the renderings (duplicates, doubled edges, glued
words, the article each term's rule asks for, a capital at the sentence start), and
:mod:`.stacking` keeps spliced names in the Arabic's order and joins them as the Arabic
does ("the Islamic State and the Nusra Front in Syria"); one that would still stand glued
to another is withheld and reported as skipped. On the trained test model (93 sentences,
bench/RESULTS.md) that took the stacked renderings from 9 to 1 (the model's own inline
copy), withholding 3 of 212 expected renderings; joining alone, without withholding, to 4.

With ``can_skip``, the plain decode also gives the model's reading of each doubtful term
(:func:`.ambiguity.model_reading`): "eagerly" for «بحماس» skips Hamas there.

Forced target prefixes (re-decoding with a prefix ending in the rendering) were dropped:
on the trained test model they placed 6.5% of the hits, their sentences scored chrF 74
against 78 for inline, and their serial rounds made the glossary cost 5.6 times a plain
translation of the seed article. A splice at the aligned position does as well for them.

:class:`SentenceEnforcer` holds the state of one sentence between model calls, so that the
pipeline can batch each round across all the sentences of a document. The plain decode
comes first: a document's sentences without terms need it anyway, it gives the model's own
articles, and where it already holds every rendering (or places each one on a trustworthy
aligned run) with no defect around them, it is the translation, changed only at the terms,
and the sentence needs no second decode. Only the others are decoded with their terms
injected (greedily: see ``tarjama.server.translate.pipeline``). On the trained test model
(bench/eval_terms.py, bench/RESULTS.md), against the injected decode first: 22 of the 92
test sentences need the second decode, 61% of the hits are the model's own words, chrF of
the non-term text went from 77 to 90 and the glossary's cost on the seed article from
3.0x a plain translation to 1.7-2.3x (CPU 1.7-2.1x). The plain base also keeps the rest of
the sentence the model's: an injected decode translates a different input.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tarjama.server.translate.enforce import english
from tarjama.server.translate.enforce.ambiguity import model_reading
from tarjama.server.translate.enforce.anchors import position_from_neighbours
from tarjama.server.translate.enforce.draft import (
    Draft,
    HitPlan,
    InjectedSource,
    before_final_punctuation,
    next_word_start,
    occurrences,
    trim_function_words,
    trim_to_rendering,
    word_bounds,
)
from tarjama.server.translate.enforce.outcome import EnforcedSentence, PlacedHit
from tarjama.server.translate.enforce.repair import (
    capitalise_start,
    fix_articles,
    remove_doubled_edges,
    remove_duplicates,
    separate_glued,
    splice,
)
from tarjama.server.translate.enforce.stacking import join_stacked, order_anchors, withhold_stacked

if TYPE_CHECKING:  # annotations only: enforcement never loads CTranslate2
    from tarjama.server.translate.engine import EngineResult

MODEL = "model"
INLINE = "inline"
ALIGNED = "aligned"

# An aligned run longer than this many target tokens per rendering token swallows more
# than the term: the alignment is not trustworthy there.
_MAX_RUN_PER_TOKEN = 2
# A run holding less than this share of the tokens aligned to the term means attention is
# scattered over the sentence.
_MIN_RUN_SHARE = 0.5


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


class SentenceEnforcer:
    """Places the renderings of a sentence's hits, one model call at a time.

    ``can_skip``: the caller reports :attr:`EnforcedSentence.skipped` with the sentence's
    other skipped terms, so a hit may be skipped after all (the model's reading, or a
    rendering that would stand glued to another). Without it every hit is placed.
    """

    def __init__(self, sentence: str, hits: Sequence[HitPlan], *, can_skip: bool = False) -> None:
        self.sentence = sentence
        self.hits = tuple(hits)
        self.can_skip = can_skip
        self.source = InjectedSource.build(sentence, self.hits)
        self._state = _State(Draft(""), self.source)
        self._plain_seen = self._injected_seen = False
        # the target token -> source token links of the decode being read
        self._attended: tuple[int | None, ...] = ()
        # hit -> whether the plain translation wrote "the" in front of the term's words
        self._model_articles: dict[int, bool] = {}
        # hit -> why it is not applied after all (see EnforcedSentence.skipped)
        self._skipped: dict[int, str] = {}

    @property
    def model_input(self) -> str:
        """The sentence with its terms injected, for the second decode."""
        return self.source.text

    @property
    def unplaced(self) -> list[int]:
        placed, skipped = self._state.draft.placed, self._skipped
        return [index for index in range(len(self.hits)) if index not in placed | skipped]

    @property
    def wants_injection(self) -> bool:
        """The plain decode left a rendering to splice or a defect next to one, and the
        injected decode has not been seen."""
        if self._injected_seen or not self._plain_seen:
            return False
        return bool(self.unplaced) or _quality(self._state)[1] < 0

    def accept(self, result: EngineResult) -> None:
        """Takes the model's translation of :attr:`model_input` (with attention)."""
        other = self._state if self._plain_seen else None
        self._injected_seen = True
        self._start_draft(result, self.source)
        self._place_copies(result, INLINE)
        self._place_aligned(result)
        self._reassign_stray_copies()
        if other is not None:
            self._keep_better(injected=self._state, plain=other)

    def accept_plain(self, result: EngineResult) -> None:
        """Takes the plain translation of the sentence (with attention): the model's own
        articles, and the other base. The base with more renderings placed and fewer
        defects around them is kept."""
        other = self._state if self._injected_seen else None
        self._plain_seen = True
        self._start_draft(result, InjectedSource.identity(self.sentence, self.hits))
        self._state.plain = True
        if other is None and self.can_skip:  # the plain decode first: its reading counts
            self._read_doubtful_terms(result)
        self._place_copies(result, MODEL)  # the model's own words already read right
        self._place_aligned(result)
        draft = self._state.draft
        for hit, (start, _) in draft.placed.items():
            self._model_articles[hit] = english.has_article(draft.text, start)
        if other is not None:
            self._keep_better(injected=other, plain=self._state)

    def _keep_better(self, *, injected: _State, plain: _State) -> None:
        """On a tie the injected draft wins when it placed everything (its copies are the
        model's reading of the rendering itself); else the plain one, whose words the
        splice then keeps."""
        injected_quality, plain_quality = _quality(injected), _quality(plain)
        complete = len(injected.draft.placed) == len(self.hits) - len(self._skipped)
        if injected.draft.text and (
            injected_quality > plain_quality or (injected_quality == plain_quality and complete)
        ):
            self._state = injected
        else:
            self._state = plain

    def finish(self) -> EnforcedSentence:
        """Splices what is still unplaced, removes duplicates; every rendering is present.
        Call once, after the last model call."""
        state = self._state
        draft = state.draft
        anchored = [h for h in self.unplaced if not _free_run(draft, draft.loose.get(h))]
        order_anchors(draft, self.hits, anchored)
        for hit in sorted(self.unplaced, key=lambda h: (draft.anchors[h], h), reverse=True):
            splice(draft, hit, self.hits[hit], draft.loose.get(hit))
            state.methods[hit] = ALIGNED
        remove_duplicates(draft, self.hits, self.sentence)
        remove_doubled_edges(draft, self.hits)
        separate_glued(draft, self.hits)
        join_stacked(draft, self.hits, self.sentence)
        if self.can_skip:
            self._skipped.update(withhold_stacked(draft, self.hits, self.sentence, anchored))
        fix_articles(draft, self.hits, self._model_articles)
        capitalise_start(draft)
        placed = tuple(
            PlacedHit(hit, draft.placed[index], state.methods[index])
            for index, hit in enumerate(self.hits)
            if index not in self._skipped
        )
        opening = english.sentence_start(draft.text)
        for item in placed:
            start, end = item.span
            if not english.same_rendering(draft.text[start:end], item.hit.target, start == opening):
                raise AssertionError(f"rendering {item.hit.target!r} lost at {item.span}")
        links = tuple(link for link in draft.links if draft.free(*link[1]))
        skipped = tuple((self.hits[h], reason) for h, reason in sorted(self._skipped.items()))
        return EnforcedSentence(draft.text, state.score, placed, links, skipped)

    def _read_doubtful_terms(self, result: EngineResult) -> None:
        """Skips each doubtful term (``HitPlan.ambiguous``) whose words the plain
        translation renders as an ordinary word or the adjective, on a trustworthy aligned
        run, with the rendering nowhere in it; the injected source then keeps its Arabic."""
        for index, hit in enumerate(self.hits):
            if not hit.ambiguous or occurrences(result.text, hit.target):
                continue
            run = self._aligned_run(result, index)
            limit = _MAX_RUN_PER_TOKEN * len(self._rendering_tokens(result, index)) + 1
            if run is None or run.share < _MIN_RUN_SHARE or run.tokens > limit:
                continue
            arabic_words = len(self.sentence[hit.term_start : hit.end].split())
            reason = model_reading(result.text[run.start : run.end], hit.target, arabic_words)
            if reason is not None:
                self._skipped[index] = reason
        if self._skipped:
            self.source = InjectedSource.build(self.sentence, self.hits, set(self._skipped))

    def _start_draft(self, result: EngineResult, source_map: InjectedSource) -> None:
        links = []
        for link in result.links:
            source = source_map.to_sentence(*link.source)
            if source is not None:
                links.append((source, link.target))
        draft = Draft(result.text, links=links)
        self._state = _State(draft, source_map, score=result.score)
        # Each target token's most-attended source token, read once: the placement
        # steps ask for it many times per token.
        count = len(result.target_tokens)
        self._attended = tuple(result.aligned_source_token(index) for index in range(count))

    def _place_copies(self, result: EngineResult, method: str) -> None:
        """Renderings the model wrote: copied from the injected source, or its own words in
        the plain translation. Where a rendering occurs twice, the copy the alignment links
        to the hit's rendering is its own."""
        draft = self._state.draft
        by_length = sorted(self.unplaced, key=lambda h: -len(self.hits[h].target))
        for hit in by_length:
            sources = set(self._rendering_tokens(result, hit))
            candidates = [
                span
                for span in occurrences(draft.text, self.hits[hit].target)
                if draft.free(*span) and not self._absorbed(draft.text, span[1])
            ]
            if candidates:
                best = max(candidates, key=lambda span: self._attending(result, span, sources))
                draft.placed[hit] = best
                self._state.methods[hit] = method

    def _absorbed(self, text: str, end: int) -> bool:
        """The copy ending at ``end`` only begins a longer name, unless what follows is
        another rendering or the name goes on in the Arabic too."""
        if not english.continues_name(text, end):
            return False
        rest = text[end:].lstrip(" -")
        return not any(rest.startswith(hit.target) for hit in self.hits)

    def _attending(self, result: EngineResult, span: tuple[int, int], sources: set[int]) -> int:
        """How many target tokens inside ``span`` attend to one of ``sources``."""
        return sum(
            1
            for index, token in enumerate(result.target_tokens)
            if span[0] <= token.start < span[1] and self._attended[index] in sources
        )

    def _reassign_stray_copies(self) -> None:
        """A model that drops a term often writes a neighbouring term's rendering twice
        ("Judeh will visit Vladimir Putin today for talks with Vladimir Putin" for «يزور
        جودة اللاذقية اليوم ... مع فلاديمير بوتين»). When a copied rendering occurs twice
        and exactly one of its hit's neighbours in the source is missing, the copy on that
        neighbour's side (names keep their order between Arabic and English) becomes it."""
        draft = self._state.draft
        for owner in sorted(draft.placed):
            if self._state.methods.get(owner) != INLINE:
                continue
            target = self.hits[owner].target
            copies = [
                span
                for span in occurrences(draft.text, target)
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
            if run is not None and not draft.free(run.start, run.end):
                run = None  # it lies on another rendering
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
            if token.start < token.end and self._attended[index] in sources
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
            # ... but a lower-case word unlike it at the run's edge is a neighbour that
            # attends to the term too: "positions" in "ISIS positions" for «مواقع داعش».
            if trimmed is not None:
                target = self.hits[hit].target
                trimmed = trim_to_rendering(result.text, *trimmed, target) or trimmed
        else:
            trimmed = trim_to_rendering(result.text, start, end, self.hits[hit].target)
        if trimmed is None:
            return None
        start, end = self._cover_stray_copies(*trimmed)
        while self._absorbed(result.text, end):  # "Washington Post": the name goes on
            end = word_bounds(result.text, end + 1, end + 2)[1]
        covered = sum(1 for token in tokens if token.start < end and start < token.end)
        return _Run(start, end, covered, len(cluster) / len(aligned))

    def _cover_stray_copies(self, start: int, end: int) -> tuple[int, int]:
        """Widens a run over a rendering the model copied to the wrong place ("in John
        Kerry" where Moscow belongs), so that no stray half of it is left."""
        draft = self._state.draft
        for target in dict.fromkeys(hit.target for hit in self.hits):
            for s, e in occurrences(draft.text, target):
                if s < end and start < e and draft.free(s, e):
                    start, end = min(start, s), max(end, e)
        return start, end

    def _anchor(self, result: EngineResult, hit: int, run: _Run | None) -> int:
        """Where the rendering belongs in the draft: a word start, or the end of the
        sentence before its full stop."""
        text = self._state.draft.text
        position = (
            run.start
            if run is not None
            else position_from_neighbours(
                result, self._attended, self._rendering_tokens(result, hit)
            )
        )
        for start, end in self._state.draft.placed.values():
            if start < position < end:
                position = end
        return before_final_punctuation(text, next_word_start(text, position))


def _free_run(draft: Draft, run: tuple[int, int] | None) -> bool:
    return run is not None and draft.free(*run)


def _quality(state: _State) -> tuple[int, int]:
    """(renderings placed, - defects next to them) of a draft: the higher, the better."""
    draft = state.draft
    spans = sorted(draft.placed.values())
    defects = sum(1 for (_, end) in spans if english.continues_name(draft.text, end))
    text = draft.text
    defects += sum(1 for a, b in itertools.pairwise(spans) if english.stacked(text, a[1], b[0]))
    defects += english.has_arabic(draft.text)
    return len(draft.placed), -defects
