"""One rendering per name inside a document: the document terms.

No glossary is complete, and a model may write one name two ways in one story («سيرغي
لافروف» "Sergei Lavrov", then "Sergey Lavrov"). After the first translation of a document,
its names are read from the word alignment (:mod:`tarjama.glossary.name_records`: Arabic
aligned to capitalised English that is not a title, a common word or a lone
sentence-initial capital). An Arabic name (normalised, proclitics aside) that the model
wrote in two or more sentences, in two or more ways, becomes a *document term*:

* its rendering is the one the model wrote most often; on a tie, the one it wrote first.
  The majority is the model's settled reading of the name (a stray variant is the error
  more often than the rule), and the first mention is the one a reader meets first and
  where a news story introduces the name;
* it applies where the model wrote a name for that Arabic, and only there: where the
  model read the word as an ordinary one (lower case, or no aligned name at all) it is
  left alone, as an ambiguous glossary term would be, so nothing is forced into a
  sentence that did not name it;
* never over a glossary: a name that a glossary term covers (applied or skipped, or
  matching any of its words) is not a candidate;
* an Arabic word the alignment links to two separate English names in one sentence is
  not read as a name there (the attention was scattered, as «العاصمة» to both
  "Jordanian" and "Amman").

The pipeline then places the rendering as it places a glossary term (the hits join the
sentence's glossary hits in :class:`~tarjama.server.translate.enforce.SentenceEnforcer`)
in the sentences where the model wrote another variant; where it already wrote the
rendering, the hit is reported on the model's words as they are. Every hit says method
:data:`DOCUMENT`. The enforcer may withhold a hit (its rendering would stand glued to
another, or the model read the word as an ordinary one there): the model's words stay,
nothing is reported as a skipped glossary term, and the term counts the hits placed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from tarjama.glossary.clitics import stem_readings
from tarjama.glossary.matcher import Matcher
from tarjama.glossary.model import Term
from tarjama.glossary.name_records import NameRecord, Occurrence, collect_names
from tarjama.glossary.names import NAME_WORD
from tarjama.glossary.normalize import normalize_text
from tarjama.results import DOCUMENT_METHOD, DocumentTerm, Rendering, SentencePair, Span, TermHit
from tarjama.server.translate.assemble import SentenceResult
from tarjama.server.translate.enforce import HitPlan, english

DOCUMENT = DOCUMENT_METHOD  # TermHit.method of a document term's hits
# A name gets one rendering when the model wrote it in two sentences or more: within one
# sentence a second spelling is rare, and a one-sentence request then never pays for the
# word alignment the names are read from (about a tenth of a decode).
MIN_SENTENCES = 2
# Two spellings of one word: "Sergei"/"Sergey" 0.83, "Peskov"/"Peskoff" 0.77, against
# "States"/"Nations" 0.46 and "Homs"/"Hama" 0.5 (difflib's ratio).
MIN_SPELLING_LIKENESS = 0.75
# The Arabic article as English names write it, alone or attached ("al-Assad", "ez-Zor").
_ARTICLES = frozenset(("al", "el", "ad", "as", "ash", "ar", "az", "ez"))
_ATTACHED_ARTICLE = re.compile(r"^(?:al|el|ad|as|ash|ar|az|ez)-(?=\w)")

# Function words, which no name consists of: their repeating says nothing of names.
_FUNCTION_WORDS = frozenset((
    "في", "من", "على", "الى", "عن", "مع", "ان", "او", "ثم", "لا", "ما", "لم", "لن", "قد",
    "هذا", "هذه", "ذلك", "تلك", "التي", "الذي", "الذين", "كما", "بعد", "قبل", "بين", "حول",
    "عند", "لدى", "حتى", "منذ", "خلال", "ضد", "عبر", "دون", "غير", "كل", "بعض", "هو", "هي",
    "هم", "نحن", "انه", "انها", "كان", "كانت", "وقال", "قال", "امس", "اليوم",
))  # fmt: skip


def may_repeat_a_name(sources: Iterable[str]) -> bool:
    """Whether a name could occur in two of these sentences: some word other than a
    function word, proclitics aside, is written in two of them.

    A document where none is cannot have a document term, so its first translation need
    not return the word alignment (about a tenth of a decode's time): a one-sentence
    request, most often. The test is read off the Arabic as :func:`collect_names` keys a
    name (each word normalised, the first word's proclitics folded), so it never misses
    a name the alignment would find twice.
    """
    seen: set[str] = set()  # in the sentences before
    for source in sources:
        stems: set[str] = set()
        for word in NAME_WORD.findall(source):
            normalised = normalize_text(word)
            if normalised not in _FUNCTION_WORDS:
                stems |= {stem for _, stem in stem_readings(normalised) if len(stem) > 1}
        stems -= _FUNCTION_WORDS
        if stems & seen:
            return True
        seen |= stems
    return False


@dataclass(frozen=True)
class NameChoice:
    """A name of the document and the one rendering it gets."""

    term: Term
    variants: tuple[Rendering, ...]
    by_sentence: dict[int, tuple[Occurrence, ...]]  # sentence index -> where it was written


@dataclass(frozen=True)
class SentenceNames:
    """The document hits of one sentence (offsets relative to the sentence)."""

    hits: tuple[HitPlan, ...]
    # the model wrote the rendering at every hit already: (hit, target span) to report
    written: tuple[tuple[HitPlan, tuple[int, int]], ...] | None

    @property
    def settled(self) -> bool:
        return self.written is not None


@dataclass(frozen=True)
class DocumentNames:
    terms: tuple[DocumentTerm, ...]
    sentences: dict[int, SentenceNames]  # sentence index -> its document hits


def plan_names(pairs: Sequence[SentencePair], glossary: Matcher) -> DocumentNames:
    """The document terms of a first translation (pairs with their alignment) and the
    hits they make in each sentence."""
    choices = choose_names(pairs, glossary)
    if not choices:
        return DocumentNames((), {})
    by_term = {id(choice.term): choice for choice in choices}
    matcher = Matcher([], [choice.term for choice in choices])
    counts: dict[int, int] = dict.fromkeys(by_term, 0)
    sentences: dict[int, SentenceNames] = {}
    wanted = sorted({index for choice in choices for index in choice.by_sentence})
    for index in wanted:
        pair = pairs[index]
        hits: list[HitPlan] = []
        written: list[tuple[HitPlan, tuple[int, int]]] = []
        for match in matcher.find(pair.source):
            choice = by_term[id(match.term)]
            where = [
                o
                for o in choice.by_sentence.get(index, ())
                if o.source[0] < match.end and match.start < o.source[1]
            ]
            if not where or _governed(pair, match.start, match.end):
                continue
            hit = HitPlan.from_match(match, 0)
            hits.append(hit)
            counts[id(match.term)] += 1
            if all(_written(pair.target, o, choice.term.target) for o in where):
                written.append((hit, where[0].target))
        if hits:
            settled = tuple(written) if len(written) == len(hits) else None
            sentences[index] = SentenceNames(tuple(hits), settled)
    terms = tuple(
        DocumentTerm(
            source_term=choice.term.sources[0],
            target_term=choice.term.target,
            occurrences=counts[id(choice.term)],
            variants=choice.variants,
        )
        for choice in choices
        if counts[id(choice.term)]
    )
    return DocumentNames(terms, sentences)


def written_hits(names: SentenceNames, exclude_clitics: bool) -> tuple[TermHit, ...]:
    """The hits of a sentence where the model wrote the rendering at each one already."""
    return tuple(
        document_hit(hit, Span(*target), exclude_clitics) for hit, target in names.written or ()
    )


def document_hit(hit: HitPlan, target: Span, exclude_clitics: bool) -> TermHit:
    return TermHit(
        glossary="",
        source_term=hit.source_form,
        target_term=hit.target,
        source_span=Span(hit.term_start if exclude_clitics else hit.start, hit.end),
        target_span=target,
        method=DOCUMENT,
    )


def _written(target: str, occurrence: Occurrence, rendering: str) -> bool:
    """The model wrote exactly the rendering there (capitalised where it opens the
    sentence, as the enforcer would place it)."""
    start, end = occurrence.target
    opening = start == english.sentence_start(target)
    return english.same_rendering(target[start:end], rendering, opening)


def without_document_skips(result: SentenceResult, document: frozenset[HitPlan]) -> SentenceResult:
    """A document hit the enforcer withheld (it would stand glued to another rendering, or
    the model read the word as an ordinary one) keeps the model's words: no glossary term
    was skipped, so nothing is reported."""
    ends = {hit.end for hit in document}
    kept = tuple(skip for skip in result.skipped_terms if skip.source_span.end not in ends)
    return replace(result, skipped_terms=kept)


def as_document_hits(result: SentenceResult, document: frozenset[HitPlan]) -> SentenceResult:
    ends = {hit.end for hit in document}  # hits never overlap: a hit's end names it
    hits = tuple(
        replace(hit, method=DOCUMENT_METHOD, glossary="") if hit.source_span.end in ends else hit
        for hit in result.term_hits
    )
    return replace(result, term_hits=hits)


def placed_terms(
    terms: tuple[DocumentTerm, ...], results: Sequence[SentenceResult]
) -> tuple[DocumentTerm, ...]:
    """The document terms with their occurrences as placed (the enforcer may withhold a
    hit), those placed nowhere left out."""
    placed = Counter(
        (hit.source_term, hit.target_term)
        for result in results
        for hit in result.term_hits
        if hit.method == DOCUMENT_METHOD
    )
    counted = (replace(t, occurrences=placed[(t.source_term, t.target_term)]) for t in terms)
    return tuple(term for term in counted if term.occurrences)


def choose_names(pairs: Sequence[SentencePair], glossary: Matcher) -> list[NameChoice]:
    """The names of a first translation that get one rendering, in order of first
    occurrence (see the module docstring for the rule)."""
    records = collect_names([("", pairs)])
    choices = []
    for record in records.values():
        occurrences = _readable(record, pairs)
        renderings = NameRecord(record.key, occurrences).renderings
        sentences = {occurrence.sentence for occurrence in occurrences}
        if len(sentences) < MIN_SENTENCES or len(renderings) < 2:
            continue
        rendering = renderings.most_common(1)[0][0]  # ties: the first written
        if not all(same_name(variant, rendering) for variant in renderings):
            continue  # different names, or a part of a longer one: not one name's spellings
        if glossary.find(record.arabic):
            continue  # a glossary term covers (part of) it: the glossary decides
        by_sentence: dict[int, list[Occurrence]] = {}
        for occurrence in occurrences:
            by_sentence.setdefault(occurrence.sentence - 1, []).append(occurrence)
        term = Term(sources=(record.arabic,), target=rendering, article="model")
        variants = tuple(Rendering(english, count) for english, count in renderings.most_common())
        choices.append(
            NameChoice(term, variants, {i: tuple(found) for i, found in by_sentence.items()})
        )
    return choices


def same_name(first: str, second: str) -> bool:
    """Whether two renderings spell one name: as many words, each alike letter for letter
    once case, hyphens and the article ("al", alone or attached) are set aside ("Bashar al Assad",
    "Bashar al-Assad"; "Sergei", "Sergey"), not another name ("Amman", "Jordanian"), a
    longer one ("Washington", "Washington Post"; "United States", "United Nations") or
    another word ("Syria", "Syrian")."""
    first_words, second_words = _skeleton(first), _skeleton(second)
    if len(first_words) != len(second_words):
        return False
    return all(_same_word(a, b) for a, b in zip(first_words, second_words, strict=True))


def _same_word(first: str, second: str) -> bool:
    """Alike letter for letter, and not one word with an ending added to the other
    ("Syria", "Syrian"; "Russia", "Russian"): that is another word."""
    if first == second:
        return True
    if first.startswith(second) or second.startswith(first):
        return False
    return SequenceMatcher(None, first, second).ratio() >= MIN_SPELLING_LIKENESS


def _skeleton(rendering: str) -> list[str]:
    words = []
    for word in rendering.lower().split():
        word = _ATTACHED_ARTICLE.sub("", word)
        letters = "".join(char for char in word if char.isalnum())
        if letters and letters not in _ARTICLES:
            words.append(letters)
    return words


def _readable(record: NameRecord, pairs: Sequence[SentencePair]) -> list[Occurrence]:
    """The occurrences where the Arabic is clearly this name: linked to one English name
    only, and clear of every glossary term."""
    places: dict[tuple[int, tuple[int, int]], int] = {}
    for occurrence in record.occurrences:
        place = (occurrence.sentence, occurrence.source)
        places[place] = places.get(place, 0) + 1
    readable = []
    for occurrence in record.occurrences:
        if places[(occurrence.sentence, occurrence.source)] > 1:
            continue
        if _governed(pairs[occurrence.sentence - 1], *occurrence.source):
            continue
        readable.append(occurrence)
    return readable


def _governed(pair: SentencePair, start: int, end: int) -> bool:
    """Whether ``[start, end)`` of the pair's source overlaps a glossary hit or skip."""
    offset = pair.source_span.start
    spans = [hit.source_span for hit in pair.term_hits]
    spans += [skip.source_span for skip in pair.skipped_terms]
    return any(span.start - offset < end and start < span.end - offset for span in spans)
