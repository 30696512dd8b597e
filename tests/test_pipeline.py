"""The pipeline end to end on a random-weight model: whatever the model writes, every
glossary rendering is in the translation exactly once per hit, and every span is exact."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tarjama.glossary.matcher import Matcher
from tarjama.glossary.model import Glossary, Term
from tarjama.glossary.yaml_io import load_glossary
from tarjama.server.translate.cache import SentenceCache
from tarjama.server.translate.engine import (
    BatchTranslator,
    EncodedSource,
    Engine,
    EngineOptions,
    EngineResult,
)
from tarjama.server.translate.pipeline import (
    MAX_FALLBACK_ROUNDS,
    DocumentTranslation,
    Pipeline,
    PipelineOptions,
    SentencePair,
    TermHit,
)

TESTS = Path(__file__).resolve().parent
NAMES = load_glossary(TESTS / "data" / "pipeline" / "names.yaml")
NEWS = load_glossary(TESTS.parent / "glossary" / "news.yaml")
PLAIN = PipelineOptions()
EVERYTHING = PipelineOptions(include_alignment=True, include_unconstrained=True)


@dataclass
class CountingTranslator:
    """The engine, with a record of each call: how many sentences, how many prefixes."""

    engine: Engine
    calls: list[tuple[int, int]] = field(default_factory=list)

    def encode(self, text: str) -> EncodedSource:
        return self.engine.encode(text)

    def encode_target(self, text: str) -> list[str]:
        return self.engine.encode_target(text)

    def translate_batch(
        self,
        sources: Sequence[str | EncodedSource],
        *,
        beam_size: int | None = None,
        with_alignment: bool = False,
        target_prefixes: Sequence[Sequence[str] | None] | None = None,
        names_only: Sequence[bool] | None = None,
    ) -> list[EngineResult]:
        self.calls.append((len(sources), len(target_prefixes or ())))
        return self.engine.translate_batch(
            sources,
            beam_size=beam_size,
            with_alignment=with_alignment,
            target_prefixes=target_prefixes,
            names_only=names_only,
        )


@pytest.fixture(scope="module")
def engine(random_model_dir: Path) -> Engine:
    return Engine(random_model_dir, EngineOptions(beam_size=2, max_decoding_length=48))


@pytest.fixture
def translator(engine: Engine) -> CountingTranslator:
    return CountingTranslator(engine)


def translate(
    translator: BatchTranslator,
    text: str,
    matcher: Matcher | None = None,
    options: PipelineOptions = PLAIN,
    pipeline: Pipeline | None = None,
) -> DocumentTranslation:
    document = (pipeline or Pipeline(model_name="random-tiny")).translate(
        text,
        translator=translator,
        matcher=matcher or Matcher([("names", NAMES)]),
        options=options,
    )
    assert_exact_spans(text, document, options)
    return document


def assert_exact_spans(text: str, document: DocumentTranslation, options: PipelineOptions) -> None:
    """Every span of the translation points at exactly what it claims to."""
    translation = document.translation
    previous_end = 0
    for pair in document.sentences:
        source, target = pair.source_span, pair.target_span
        assert text[source.start : source.end] == pair.source
        assert translation[target.start : target.end] == pair.target
        assert target.start >= previous_end
        previous_end = target.end
        for hit in pair.term_hits:
            assert source.start <= hit.source_span.start < hit.source_span.end <= source.end
            assert target.start <= hit.target_span.start < hit.target_span.end <= target.end
            assert translation[hit.target_span.start : hit.target_span.end] == hit.target_term
            assert_term_span(text, hit, options)
        for link in pair.alignment:
            source_word = text[link.source.start : link.source.end]
            target_word = translation[link.target.start : link.target.end]
            assert source.start <= link.source.start < link.source.end <= source.end
            assert target.start <= link.target.start < link.target.end <= target.end
            assert source_word == source_word.strip() and target_word == target_word.strip()


def assert_term_span(text: str, hit: TermHit, options: PipelineOptions) -> None:
    """The hit's source span is exactly where its term matched."""
    matcher = Matcher([("g", Glossary("g", (Term((hit.source_term,), hit.target_term),)))])
    start, end = hit.source_span.start, hit.source_span.end
    if not options.term_spans_exclude_clitics:
        [match] = matcher.find(text[start:end])
        assert (match.start, match.end) == (0, end - start)
        return
    # Just the term: a proclitic of up to four letters in front of it completes the match.
    for width in range(min(start, 4) + 1):
        matches = matcher.find(text[start - width : end])
        if [(m.start, m.term_start, m.end) for m in matches] == [(0, width, end - start + width)]:
            return
    pytest.fail(f"{text[start:end]!r} is not where {hit.source_term!r} matched")


def count_words(text: str, phrase: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text))


def assert_once_per_hit(pair: SentencePair) -> None:
    """Each rendering is in the target once per hit (counting "Putin" inside "Vladimir
    Putin" as part of the longer rendering)."""
    targets = [hit.target_term for hit in pair.term_hits]
    for target in set(targets):
        nested = sum(count_words(other, target) for other in set(targets) if other != target)
        assert count_words(pair.target, target) - nested == targets.count(target), target


@pytest.mark.parametrize(
    ("sentence", "targets"),
    [
        ("أجرى فلاديمير بوتين محادثات مع جون كيري", ["Vladimir Putin", "John Kerry"]),
        ("التقى سيرغي لافروف وبوتين في موسكو", ["Sergei Lavrov", "Putin", "Moscow"]),
        ("وجه رسالة للكرملين", ["Kremlin"]),  # ل + ال → لل
        ("وبالقاهرة عقد الاجتماع", ["Cairo"]),  # و + ب + ال
        ("والكرملين رفض التعليق", ["Kremlin"]),
        ("ضربات ضد «داعش» و«جبهة النصرة» في سوريا", ["Islamic State", "Nusra Front", "Syria"]),
        ("قال بوتينُ إن الدولة الاسلامية تراجعت", ["Putin", "Islamic State"]),  # harakat, alef
        ("التقى سيرجي لافروف نظيره", ["Sergei Lavrov"]),  # a variant spelling
        ("بوتين الكرملين موسكو رويترز", ["Putin", "Kremlin", "Moscow", "Reuters"]),  # adjacent
        ("قال بوتيـــن لرويترز", ["Putin", "Reuters"]),  # tatweel
        ("قال بوتين إن بوتين سيزور سورية", ["Putin", "Putin", "Syria"]),  # repeated term
    ],
)
def test_every_hit_is_rendered_exactly_once(
    translator: CountingTranslator, sentence: str, targets: list[str]
) -> None:
    document = translate(translator, sentence, options=EVERYTHING)
    [pair] = document.sentences
    # A rendering the enforcer withholds (it would stand glued to another) is reported as
    # skipped with its reason: every hit is either placed once at its span or reported.
    placed = [hit.target_term for hit in pair.term_hits]
    reported = sorted([*pair.term_hits, *pair.skipped_terms], key=lambda i: i.source_span.start)
    assert [item.target_term for item in reported] == targets
    assert all(skip.reason for skip in pair.skipped_terms)
    for target in set(placed):
        inside_longer = sum(count_words(other, target) for other in set(placed) if other != target)
        assert count_words(pair.target, target) - inside_longer == placed.count(target)
    assert {hit.method for hit in pair.term_hits} <= {"inline", "aligned", "prefix"}


def test_inline_terms_win_over_glossaries(translator: CountingTranslator) -> None:
    matcher = Matcher([("names", NAMES)], [Term(("بوتين",), "President Putin")])
    document = translate(translator, "قال بوتين في موسكو", matcher)
    hits = [(hit.glossary, hit.target_term) for hit in document.sentences[0].term_hits]
    assert hits == [("", "President Putin"), ("names", "Moscow")]


@pytest.mark.parametrize("first", ["wire", "palace"])
def test_earlier_glossaries_win(translator: CountingTranslator, first: str) -> None:
    glossaries = {
        "wire": Glossary("wire", (Term(("الكرملين",), "Kremlin"),)),
        "palace": Glossary("palace", (Term(("الكرملين",), "Kremlin Palace"),)),
    }
    order = [first, *(name for name in glossaries if name != first)]
    matcher = Matcher([(name, glossaries[name]) for name in order])
    document = translate(translator, "أعلن الكرملين", matcher)
    [hit] = document.sentences[0].term_hits
    assert (hit.glossary, hit.target_term) == (first, glossaries[first].terms[0].target)


@pytest.mark.parametrize(("exclude", "reported"), [(False, "وبالقاهرة"), (True, "القاهرة")])
def test_term_spans_with_or_without_clitics(
    translator: CountingTranslator, exclude: bool, reported: str
) -> None:
    text = "عقد الاجتماع وبالقاهرة أمس"
    options = PipelineOptions(include_alignment=True, term_spans_exclude_clitics=exclude)
    document = translate(translator, text, options=options)
    [pair] = document.sentences
    [hit] = pair.term_hits
    assert text[hit.source_span.start : hit.source_span.end] == reported
    linked = {(link.source, link.target) for link in pair.alignment}
    assert (hit.source_span, hit.target_span) in linked


def test_paragraphs_and_blank_lines_are_kept(translator: CountingTranslator) -> None:
    text = "قال بوتين.\n\nوقال كيري. ورد لافروف.\r\n2016\n"
    document = translate(translator, text)
    first, second, third, year = (pair.target for pair in document.sentences)
    joined = " ".join(part for part in (second, third) if part)
    assert document.translation == f"{first}\n\n{joined}\r\n{year}"
    assert [pair.source for pair in document.sentences][-1] == year == "2016"


@pytest.mark.parametrize("line", ["2016", "Reuters", "12:30 GMT", "١٢٣٤", "😀", "— | —"])
def test_lines_without_arabic_letters_are_copied_through(
    translator: CountingTranslator, line: str
) -> None:
    document = translate(translator, f"{line}\nقال بوتين\n{line}")
    copied = [document.sentences[0], document.sentences[2]]
    assert [(pair.target, pair.score) for pair in copied] == [(line, 0.0), (line, 0.0)]
    assert translator.calls[0][0] == 1  # only the Arabic line went to the model
    assert document.translated_sentences == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n \n",
        "بوتين",
        "ب",
        "\u200f\u200e\u061c",
        "😀 بوتين 😀",
        "\u0640\u0640\u0640",
        "قال بوتين " + "وأكد أن التعاون مهم " * 60,  # one sentence far over the length limit
        "Vladimir Putin met John Kerry.",
    ],
)
def test_odd_input_never_crashes(translator: CountingTranslator, text: str) -> None:
    document = translate(translator, text, options=EVERYTHING)
    hits = [hit.target_term for pair in document.sentences for hit in pair.term_hits]
    assert hits == ["Putin"] * text.count("بوتين")
    assert all(len(pair.source) <= 400 for pair in document.sentences)


def test_unconstrained_translation_is_the_plain_one(translator: CountingTranslator) -> None:
    text = "أجرى فلاديمير بوتين محادثات مع جون كيري في موسكو"
    enforced = translate(translator, text, options=EVERYTHING)
    plain = translate(translator, text, Matcher([]), EVERYTHING)
    assert enforced.sentences[0].unconstrained_target == plain.translation
    assert plain.sentences[0].unconstrained_target == plain.translation


def test_one_model_call_per_round_for_the_whole_document(
    translator: CountingTranslator, seed_article: str
) -> None:
    document = translate(translator, seed_article, Matcher([("news", NEWS)]))
    arabic = [pair for pair in document.sentences if pair.score != 0.0]
    assert translator.calls[0] == (len(arabic), 0)
    assert len(translator.calls) <= 1 + MAX_FALLBACK_ROUNDS
    assert all(prefixes == 0 for _, prefixes in translator.calls[1:])  # no forced prefixes


def test_seed_article_keeps_every_news_glossary_hit(
    translator: CountingTranslator, seed_article: str
) -> None:
    document = translate(translator, seed_article, Matcher([("news", NEWS)]), EVERYTHING)
    hits = [hit for pair in document.sentences for hit in pair.term_hits]
    skipped = [term for pair in document.sentences for term in pair.skipped_terms]
    # Random weights write random English: a hit is placed, or withheld where placing it
    # would glue it to another rendering (which ones depends on the CPU's int8 kernels),
    # and then reported with why. None is lost either way.
    accounted = {hit.target_term for hit in hits} | {term.target_term for term in skipped}
    assert {"Vladimir Putin", "John Kerry", "Kremlin", "Islamic State", "Nusra Front"} <= accounted
    assert all(term.reason for term in skipped)
    placed = {(hit.source_span.start, hit.source_span.end) for hit in hits}
    assert not placed & {(term.source_span.start, term.source_span.end) for term in skipped}
    for pair in document.sentences:
        assert_once_per_hit(pair)


def test_second_translation_comes_from_the_cache(translator: CountingTranslator) -> None:
    pipeline = Pipeline(model_name="random-tiny", cache=SentenceCache(100))
    text = "قال بوتين في موسكو. ورفض كيري التعليق.\n2016"
    first = translate(translator, text, options=EVERYTHING, pipeline=pipeline)
    calls = len(translator.calls)
    again = translate(translator, text, options=EVERYTHING, pipeline=pipeline)
    assert len(translator.calls) == calls
    assert again.translation == first.translation
    assert [pair.cached for pair in again.sentences] == [True, True, False]  # 2016: copied
    assert (again.translated_sentences, again.cached_sentences) == (0, 2)
    assert [pair.term_hits for pair in again.sentences] == [
        pair.term_hits for pair in first.sentences
    ]

    # The same sentences at other offsets, in both the source and the translation.
    moved = translate(translator, "وصل لافروف.\n\n" + text, options=EVERYTHING, pipeline=pipeline)
    assert [pair.cached for pair in moved.sentences] == [False, True, True, False]
    assert [pair.target for pair in moved.sentences[1:]] == [
        pair.target for pair in first.sentences
    ]


def test_glossary_change_retranslates_only_the_sentences_it_touches(
    translator: CountingTranslator,
) -> None:
    pipeline = Pipeline(model_name="random-tiny", cache=SentenceCache(100))
    text = "قال بوتين في موسكو. ورفض كيري التعليق."
    translate(translator, text, pipeline=pipeline)
    renamed = Glossary(
        "names",
        tuple(
            Term(term.sources, "Moskva") if term.target == "Moscow" else term
            for term in NAMES.terms
        ),
    )
    document = translate(translator, text, Matcher([("names", renamed)]), pipeline=pipeline)
    assert [pair.cached for pair in document.sentences] == [False, True]
    assert "Moskva" in document.sentences[0].target


def test_skipping_the_cache_still_stores(translator: CountingTranslator) -> None:
    cache = SentenceCache(100)
    pipeline = Pipeline(model_name="random-tiny", cache=cache)
    text = "قال بوتين في موسكو."
    skipped = translate(
        translator, text, options=PipelineOptions(use_cache=False), pipeline=pipeline
    )
    assert not skipped.sentences[0].cached
    assert translate(translator, text, pipeline=pipeline).sentences[0].cached


# -- the trained test model (tests/data/test-model; its README lists the domain: synthetic
# -- news sentences modelled on the seed article) -------------------------------------------


@pytest.fixture(scope="module")
def trained(test_model_dir: Path) -> Engine:
    # float32: the exact sentences below hold on every CPU; int8 decodes differently on
    # AVX2 and AVX-512 machines.
    return Engine(test_model_dir, EngineOptions(compute_type="float32"))


@pytest.mark.parametrize(
    ("arabic", "plain", "enforced", "methods"),
    [
        (  # the model alone says "ISIS"; it copies the rendering put into the source
            "أسقط تنظيم «داعش» مروحية روسية قرب تدمر قبل أيام.",
            "ISIS shot down a Russian helicopter near Palmyra a few days ago.",
            "The Islamic State shot down a Russian helicopter near Palmyra a few days ago.",
            ["inline", "inline"],
        ),
        (  # «وكيري»: the conjunction stays "and"
            "يعقد لافروف وكيري جلسة محادثات في جنيف اليوم.",
            "Lavrov and Kerry will hold a round of talks in Geneva today.",
            "Lavrov and Kerry will hold a round of talks in Geneva today.",
            ["model", "model", "model"],  # the plain translation as it is
        ),
        (  # the model's own spelling of the name is replaced where the alignment puts it
            "التقى فلاديمير بوتين وليد المعلم في حمص أمس.",
            "Vladimir Putin met Walid al-Muallem in Homs yesterday.",
            "Vladimir Putin met Walid al-Moualem in Homs yesterday.",
            ["model", "aligned", "model"],
        ),
        (  # the model's own names kept, the one it spells otherwise replaced
            "التقى كيري شويغو في دير الزور يوم الأربعاء.",
            "Kerry met Shoigu in Deir ez-Zor on Wednesday.",
            "Kerry met Shoigu in Deir al-Zor on Wednesday.",
            ["model", "model", "aligned"],
        ),
        (
            "اتهم الأسد الجيش السوري بدعم «القاعدة».",
            "Assad accused the Syrian army of supporting al-Qaida.",
            "Assad accused the Syrian army of supporting al Qaeda.",  # Reuters' spelling
            ["model", "aligned"],
        ),
        (  # the plain translation's own sentence, with its article ("at the U.N.
            # Security Council") and the terms in Reuters' spelling
            "قال مسؤول كبير في مجلس الأمن الدولي ل وكالة Ozmulou Brainshiardym Trialhor إن "
            "الطيران الروسي شن 99 غارة على مواقع القاعدة في الأردن.",
            "A senior official at the UN Security Council told Ozmulou Brainshiardym Trialhor "
            "that Russian aircraft carried out 99 air strikes on al-Qaida positions in Jordan.",
            "A senior official at the U.N. Security Council told Ozmulou Brainshiardym Trialhor "
            "that Russian aircraft carried out 99 air strikes on al Qaeda positions in Jordan.",
            ["aligned", "aligned", "model"],
        ),
    ],
)
def test_trained_model_translates_with_terms_in_place(
    trained: Engine, arabic: str, plain: str, enforced: str, methods: list[str]
) -> None:
    document = translate(trained, arabic, Matcher([("news", NEWS)]), EVERYTHING)
    [pair] = document.sentences
    assert pair.unconstrained_target == plain
    assert document.translation == enforced
    assert [hit.method for hit in pair.term_hits] == methods
    assert_once_per_hit(pair)


def test_trained_model_translates_the_seed_article_with_every_hit(
    trained: Engine, seed_article: str
) -> None:
    document = translate(trained, seed_article, Matcher([("news", NEWS)]), EVERYTHING)
    hits = [hit for pair in document.sentences for hit in pair.term_hits]
    assert len(hits) >= 40
    for pair in document.sentences:
        assert_once_per_hit(pair)
    assert document.translation.startswith("Russian President Vladimir Putin")


@pytest.mark.parametrize("segmented_by_caller", [False, True])
def test_a_name_wrapped_onto_the_next_line_is_one_hit_as_in_glossary_match(
    translator: CountingTranslator, segmented_by_caller: bool
) -> None:
    names = Glossary(
        "wrapped",
        (Term(("جون كيري",), "John Kerry"), Term(("كيري",), "Kerry"), Term(("بوتين",), "Putin")),
    )
    matcher = Matcher([("wrapped", names)])
    text = "التقى بوتين جون\nكيري في موسكو.\n\nوعاد كيري"
    pipeline = Pipeline(model_name="random-tiny")
    document = pipeline.translate(
        text,
        translator=translator,
        matcher=matcher,
        options=PLAIN,
        sentences=pipeline.segment(text) if segmented_by_caller else None,
    )
    assert_exact_spans(text, document, PLAIN)
    hits = [
        (hit.source_span.start, hit.source_span.end, hit.target_term)
        for pair in document.sentences
        for hit in pair.term_hits
    ]
    assert hits == [(m.start, m.end, m.target) for m in matcher.find(text)]
    assert [target for *_, target in hits] == ["Putin", "John Kerry", "Kerry"]
