"""The translation pipeline: a document in, aligned sentence pairs out, glossaries enforced.

text → :func:`segment` (sentences with spans) → :meth:`Matcher.find` (glossary hits per
sentence) → the cache → one batched model call for every sentence left (the plain
translation) → one batched round, terms injected inline, for the sentences whose plain
translation does not already read right at the terms (see
``tarjama.server.translate.enforce``) → :func:`assemble` (joined translation, pairs with
spans into the request text and the translation).

Sentences without an Arabic letter (numbers, Latin text, page furniture such as a "|" or
a date line) are copied through untranslated with score 0. A short Arabic label such as
«مشاركة :» ("Share:", a share button scraped with the article) has Arabic letters and is
translated like any other sentence: a translator would render it, and copying Arabic
into the English, or dropping a sentence pair, would both surprise the client.

Independent of gRPC: the servicer converts requests to :class:`PipelineOptions` and a
:class:`Matcher`, and passes the batcher's per-request view as the ``translator``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from tarjama.glossary.matcher import Matcher
from tarjama.results import DocumentTerm, SkippedTerm
from tarjama.server.translate.assemble import (
    DocumentTranslation,
    SentencePair,
    SentenceResult,
    Span,
    TermHit,
    WordAlignment,
    assemble,
)
from tarjama.server.translate.confidence import assess
from tarjama.server.translate.document_names import (
    DOCUMENT,
    DocumentNames,
    as_document_hits,
    may_repeat_a_name,
    placed_terms,
    plan_names,
    without_document_skips,
    written_hits,
)
from tarjama.server.translate.enforce import EnforcedSentence, SentenceEnforcer, plan_hits
from tarjama.server.translate.enforce.draft import HitPlan
from tarjama.server.translate.engine import BatchTranslator, EngineResult
from tarjama.server.translate.options import PipelineOptions
from tarjama.server.translate.segment import Sentence, keeps_whole, segment
from tarjama.server.translate.tokens import word_spans
from tarjama.tracing import stage

__all__ = [
    "BatchTranslator",
    "DocumentTranslation",
    "Pipeline",
    "PipelineOptions",
    "SentenceCache",
    "SentencePair",
    "Span",
    "TermHit",
    "WordAlignment",
]

# Rounds after the plain first pass: one, the sentences whose plain translation lacks a
# rendering or has a defect next to one, with their terms injected (forced prefixes were
# dropped: see tarjama.server.translate.enforce.rounds). After it, what is left is spliced
# in at its aligned position.
MAX_FALLBACK_ROUNDS = 1
# The injected decode is searched greedily: it only has to copy the renderings and write
# the words around them, and it is kept only where it reads better than the plain one. On
# the trained test model (bench/eval_terms.py, one run each), greedy against beam 4: the
# glossary cost 1.7x against 2.5x a plain translation of the seed article (random
# weights, where every decode runs to its length cap: 2.2x against 3.3x), for 14% of the
# hits placed inline against 17%, chrF of the non-term text 90.3 against 91.2 and the
# same defects next to renderings in well-translated sentences (1 in 79 hits).
INJECTED_BEAM_SIZE = 1


class SentenceCache(Protocol):
    """A thread-safe mapping with eviction (``tarjama.server.translate.cache.SentenceCache``)."""

    def get(self, key: Hashable) -> object | None: ...

    def put(self, key: Hashable, value: object) -> None: ...


@dataclass
class _Job:
    """One distinct sentence to translate (a document may repeat a sentence)."""

    key: Hashable
    text: str
    hits: tuple[HitPlan, ...]
    enforcer: SentenceEnforcer | None
    skipped: tuple[SkippedTerm, ...] = ()
    plain: EngineResult | None = None
    document: frozenset[HitPlan] = frozenset()  # the hits of document terms among `hits`


@dataclass(frozen=True)
class _Planned:
    """One sentence to translate and the hits to place in it."""

    source: str
    hits: tuple[HitPlan, ...]
    skipped: tuple[SkippedTerm, ...]
    document: tuple[HitPlan, ...] = ()  # the hits of document terms among `hits`


class Pipeline:
    """Translates documents with one model; safe to share between threads."""

    def __init__(
        self, *, model_name: str, max_sentence_chars: int = 400, cache: SentenceCache | None = None
    ) -> None:
        self.model_name = model_name
        self.max_sentence_chars = max_sentence_chars
        self.cache = cache

    def translate(
        self,
        text: str,
        *,
        translator: BatchTranslator,
        matcher: Matcher,
        options: PipelineOptions,
        sentences: Sequence[Sentence] | None = None,
    ) -> DocumentTranslation:
        """``sentences``: the text's segmentation when the caller made it already
        (:meth:`segment`), so a document is segmented once."""
        # One parent span per document: `tarjama batch` has no RPC span to hang stages on.
        with stage("tarjama.pipeline.translate", {"tarjama.characters": len(text)}):
            return self._translate(text, translator, matcher, options, sentences)

    def _translate(
        self,
        text: str,
        translator: BatchTranslator,
        matcher: Matcher,
        options: PipelineOptions,
        sentences: Sequence[Sentence] | None,
    ) -> DocumentTranslation:
        # The whole text's hits stay whole, so each sentence has exactly the hits that
        # `tarjama glossary match` finds in the text (a name wrapped onto the next line too).
        document_hits = [(match.start, match.end) for match in matcher.find(text)]
        if sentences is None or not keeps_whole(sentences, document_hits):
            sentences = segment(text, max_chars=self.max_sentence_chars, keep=document_hits)
        # Document terms read the names from the word alignment: the first translation
        # has it either way (the answer keeps it only when asked), where a name can repeat.
        harmonise = options.document_terms and may_repeat_a_name(
            text[sentence.start : sentence.end] for sentence in sentences if sentence.has_arabic
        )
        first = options
        if harmonise:
            first = replace(
                options, include_alignment=True, alignment_for_names=not options.include_alignment
            )
        planned: dict[int, _Planned] = {}
        results: dict[int, tuple[SentenceResult, bool]] = {}
        for index, sentence in enumerate(sentences):
            source = text[sentence.start : sentence.end]
            if sentence.has_arabic:
                hits, skipped = plan_hits(
                    source, matcher.find(source), first.term_spans_exclude_clitics
                )
                planned[index] = _Planned(source, hits, skipped)
            else:
                results[index] = (_copied_through(source, first), False)
        translated, plains = self._run(planned, translator, first, {})
        results.update(translated)
        sent = {index for index, (_, cached) in translated.items() if not cached}
        document_terms: tuple[DocumentTerm, ...] = ()
        if harmonise and planned:
            _, pairs = assemble(text, sentences, [results[i] for i in range(len(sentences))])
            names = plan_names(pairs, matcher)
            results.update(self._harmonise(names, planned, plains, results, translator, first))
            sent |= {index for index, (_, cached) in results.items() if not cached}
            document_terms = placed_terms(names.terms, [result for result, _ in results.values()])
        ordered = [results[index] for index in range(len(sentences))]
        if not options.include_alignment:
            ordered = [(replace(result, alignment=()), cached) for result, cached in ordered]
        translation, pairs = assemble(text, sentences, ordered)
        return DocumentTranslation(
            translation=translation,
            sentences=pairs,
            translated_sentences=len(sent & planned.keys()),
            cached_sentences=sum(1 for pair in pairs if pair.cached),
            document_terms=document_terms,
        )

    def _harmonise(
        self,
        names: DocumentNames,
        planned: dict[int, _Planned],
        plains: dict[int, EngineResult],
        results: dict[int, tuple[SentenceResult, bool]],
        translator: BatchTranslator,
        options: PipelineOptions,
    ) -> dict[int, tuple[SentenceResult, bool]]:
        """The sentences the document terms change: placed with the glossary hits where
        the model wrote another variant, only reported where it wrote the rendering."""
        changed: dict[int, tuple[SentenceResult, bool]] = {}
        again: dict[int, _Planned] = {}
        for index, found in names.sentences.items():
            if found.settled:
                result, cached = results[index]
                written = written_hits(found, options.term_spans_exclude_clitics)
                reported = tuple(sorted(result.term_hits + written, key=_source_start))
                changed[index] = (replace(result, term_hits=reported), cached)
            else:
                plan = planned[index]
                placed = tuple(sorted(plan.hits + found.hits, key=lambda hit: hit.start))
                again[index] = replace(plan, hits=placed, document=found.hits)
        # A plain decode whose first link was left out cannot place a term by its links:
        # those sentences are decoded again, with all of them.
        whole = {index: plain for index, plain in plains.items() if not plain.first_link_left_out}
        redone, _ = self._run(again, translator, options, whole)
        changed.update(redone)
        return changed

    def _run(
        self,
        planned: dict[int, _Planned],
        translator: BatchTranslator,
        options: PipelineOptions,
        plains: dict[int, EngineResult],
    ) -> tuple[dict[int, tuple[SentenceResult, bool]], dict[int, EngineResult]]:
        """Each planned sentence's result and whether it came from the cache; the plain
        decodes made (``plains``: those made before, not decoded again)."""
        results: dict[int, tuple[SentenceResult, bool]] = {}
        jobs: dict[Hashable, _Job] = {}
        waiting: list[tuple[int, Hashable]] = []  # (sentence index, job key)
        for index, plan in planned.items():
            key: Hashable = (self._cache_key(plan.source, plan.hits, options), plan.skipped)
            if plan.document:
                key = (key, DOCUMENT, tuple(hit.end for hit in plan.document))
            cached = self._cached(key, options)
            if cached is not None:
                results[index] = (cached, True)
                continue
            if key not in jobs:
                enforcer = (
                    SentenceEnforcer(plan.source, plan.hits, can_skip=True) if plan.hits else None
                )
                jobs[key] = _Job(
                    key,
                    plan.source,
                    plan.hits,
                    enforcer,
                    plan.skipped,
                    plain=plains.get(index),
                    document=frozenset(plan.document),
                )
            waiting.append((index, key))
        translated = self._translate_jobs(list(jobs.values()), translator, options)
        made = {}
        for index, key in waiting:
            results[index] = (translated[key], False)
            plain = jobs[key].plain
            if plain is not None:
                made[index] = plain
        return results, made

    def segment(self, text: str) -> list[Sentence]:
        return segment(text, max_chars=self.max_sentence_chars)

    # -- the model calls -------------------------------------------------------------------

    def _translate_jobs(
        self, jobs: list[_Job], translator: BatchTranslator, options: PipelineOptions
    ) -> dict[Hashable, SentenceResult]:
        if not jobs:
            return {}
        self._first_pass(jobs, translator, options)
        enforcers = [job.enforcer for job in jobs if job.enforcer is not None]
        for _ in range(MAX_FALLBACK_ROUNDS):
            wanting = [enforcer for enforcer in enforcers if enforcer.wants_injection]
            if not wanting:
                break
            outputs = translator.translate_batch(
                [enforcer.model_input for enforcer in wanting],
                beam_size=INJECTED_BEAM_SIZE,
                with_alignment=True,
            )
            for enforcer, output in zip(wanting, outputs, strict=True):
                enforcer.accept(output)
        results = {}
        for job in jobs:
            result = self._sentence_result(job, options)
            if job.document:  # assessed by how they were placed, reported as what they are
                result = as_document_hits(
                    assess(job.text, without_document_skips(result, job.document)), job.document
                )
            else:
                result = assess(job.text, result)
            if self.cache is not None:
                self.cache.put(job.key, result)
            results[job.key] = result
        return results

    @staticmethod
    def _first_pass(
        jobs: list[_Job], translator: BatchTranslator, options: PipelineOptions
    ) -> None:
        """One call: the plain translation of every sentence not decoded before (the
        unconstrained one too)."""
        pending = [job for job in jobs if job.plain is None]
        if pending:
            with_alignment = options.include_alignment or any(job.hits for job in pending)
            # A sentence with glossary hits is placed by its links: it needs all of them.
            names_only = [options.alignment_for_names and not job.hits for job in pending]
            outputs = translator.translate_batch(
                [job.text for job in pending],
                beam_size=options.beam_size,
                with_alignment=with_alignment,
                names_only=names_only if with_alignment and any(names_only) else None,
            )
            for job, output in zip(pending, outputs, strict=True):
                job.plain = output
        for job in jobs:
            if job.enforcer is not None:
                assert job.plain is not None
                job.enforcer.accept_plain(job.plain)

    # -- results ---------------------------------------------------------------------------

    @staticmethod
    def _sentence_result(job: _Job, options: PipelineOptions) -> SentenceResult:
        unconstrained = job.plain.text if job.plain and options.include_unconstrained else ""
        if job.enforcer is None:
            assert job.plain is not None
            links = [(link.source, link.target) for link in job.plain.links]
            return SentenceResult(
                target=job.plain.text,
                score=job.plain.score,
                alignment=_alignment(links) if options.include_alignment else (),
                unconstrained_target=unconstrained,
                skipped_terms=job.skipped,
            )
        enforced = job.enforcer.finish()
        hits = _term_hits(enforced, options)
        links = list(enforced.links)
        links += [((h.source_span.start, h.source_span.end), _pair(h.target_span)) for h in hits]
        return SentenceResult(
            target=enforced.text,
            score=enforced.score,
            term_hits=hits,
            alignment=_alignment(links) if options.include_alignment else (),
            unconstrained_target=unconstrained,
            skipped_terms=job.skipped + enforced.skipped_terms(options.term_spans_exclude_clitics),
        )

    # -- the cache -------------------------------------------------------------------------

    def _cache_key(
        self, source: str, hits: tuple[HitPlan, ...], options: PipelineOptions
    ) -> Hashable:
        """Everything the result depends on: a glossary edit changes only the keys of the
        sentences whose hits it changes."""
        applied = tuple(
            (hit.glossary, hit.source_form, hit.target, hit.start, hit.term_start, hit.end)
            for hit in hits
        )
        return (
            self.model_name,
            source,
            applied,
            options.beam_size,
            options.include_alignment,
            options.alignment_for_names,
            options.include_unconstrained,
            options.term_spans_exclude_clitics,
        )

    def _cached(self, key: Hashable, options: PipelineOptions) -> SentenceResult | None:
        if self.cache is None or not options.use_cache:
            return None
        value = self.cache.get(key)
        return value if isinstance(value, SentenceResult) else None


def _copied_through(source: str, options: PipelineOptions) -> SentenceResult:
    """A sentence with nothing to translate: itself, each word aligned to itself."""
    words = word_spans(source) if options.include_alignment else []
    return SentenceResult(
        target=source,
        score=0.0,
        alignment=_alignment([(word, word) for word in words]),
        unconstrained_target=source if options.include_unconstrained else "",
    )


def _term_hits(enforced: EnforcedSentence, options: PipelineOptions) -> tuple[TermHit, ...]:
    return tuple(
        TermHit(
            glossary=item.hit.glossary,
            source_term=item.hit.source_form,
            target_term=item.hit.target,
            source_span=Span(
                item.hit.term_start if options.term_spans_exclude_clitics else item.hit.start,
                item.hit.end,
            ),
            target_span=Span(*item.span),
            method=item.method,
        )
        for item in enforced.hits
    )


def _source_start(hit: TermHit) -> int:
    return hit.source_span.start


def _pair(span: Span) -> tuple[int, int]:
    return span.start, span.end


def _alignment(
    links: Sequence[tuple[tuple[int, int], tuple[int, int]]],
) -> tuple[WordAlignment, ...]:
    unique = sorted(set(links), key=lambda link: (link[1], link[0]))
    return tuple(WordAlignment(Span(*source), Span(*target)) for source, target in unique)
