"""Enforcement methods, driven by a translator whose outputs and alignments the test writes.

The model's side is scripted, so each case pins down one behaviour: a rendering the plain
translation already wrote is "model", a copied rendering is "inline", a replaced aligned
span is "aligned", and whatever the model does the rendering ends up in the translation
exactly once.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from tarjama.glossary.matcher import Matcher
from tarjama.glossary.model import Glossary, Term
from tarjama.server.translate.enforce.draft import Draft, HitPlan, InjectedSource
from tarjama.server.translate.engine import EncodedSource, EngineResult
from tarjama.server.translate.pipeline import (
    DocumentTranslation,
    Pipeline,
    PipelineOptions,
)
from tarjama.server.translate.tokens import WORD_MARK, Token, detokenize

# A reply: target words, each with the source substring it attends to (None: the first
# source word).
Reply = list[tuple[str, str | None]]
Respond = Callable[[str, str | None], Reply]

NAMES = Glossary(
    "names",
    (
        Term(("بوتين",), "Putin", kind="person"),
        Term(("الكرملين",), "Kremlin", kind="place", article="the"),
        Term(("داعش",), "Islamic State", kind="organization", article="the"),
        Term(("لافروف",), "Lavrov", kind="person"),
        Term(("موسكو",), "Moscow", kind="place"),
    ),
)


@dataclass
class Call:
    sources: list[str]
    prefixes: list[str | None] | None
    beam_size: int | None = None


@dataclass
class ScriptedTranslator:
    """``respond(source_text, forced_prefix)`` replies for one sentence. Source and target
    are cut on whitespace, one piece per word."""

    respond: Respond
    calls: list[Call] = field(default_factory=list)

    def encode(self, text: str) -> EncodedSource:
        tokens = tuple(
            Token(WORD_MARK + m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text)
        )
        return EncodedSource(text, tokens)

    def encode_target(self, text: str) -> list[str]:
        return [WORD_MARK + word for word in text.split()]

    def translate_batch(
        self,
        sources: Sequence[str | EncodedSource],
        *,
        beam_size: int | None = None,
        with_alignment: bool = False,
        target_prefixes: Sequence[Sequence[str] | None] | None = None,
        names_only: Sequence[bool] | None = None,  # a scripted reply's links are all exact
    ) -> list[EngineResult]:
        encoded = [s if isinstance(s, EncodedSource) else self.encode(s) for s in sources]
        prefixes = [
            detokenize(list(prefix))[0] if prefix is not None else None
            for prefix in (target_prefixes or [None] * len(encoded))
        ]
        self.calls.append(
            Call([s.text for s in encoded], prefixes if target_prefixes else None, beam_size)
        )
        return [
            _result(source, self.respond(source.text, prefix), with_alignment)
            for source, prefix in zip(encoded, prefixes, strict=True)
        ]


def _result(source: EncodedSource, reply: Reply, with_alignment: bool) -> EngineResult:
    text, tokens = detokenize([WORD_MARK + word for word, _ in reply])
    if not with_alignment:
        return EngineResult(source, text, tokens, -1.0)
    rows = []
    for _, attends_to in reply:
        row = [0.0] * (len(source.tokens) + 1)  # + the end-of-sentence position
        position = source.text.find(attends_to) if attends_to else 0
        index = next((i for i, t in enumerate(source.tokens) if t.start <= position < t.end), 0)
        row[index] = 1.0
        rows.append(tuple(row))
    return EngineResult(source, text, tokens, -1.0, tuple(rows))


def words(text: str, attends_to: dict[str, str] | None = None) -> Reply:
    """A reply from plain text; each word attends to ``attends_to.get(word)``."""
    mapping = attends_to or {}
    return [(word, mapping.get(word)) for word in text.split()]


def translate(
    text: str, respond: Respond, inline_terms: Sequence[Term] = ()
) -> tuple[DocumentTranslation, ScriptedTranslator]:
    translator = ScriptedTranslator(respond)
    document = Pipeline(model_name="scripted").translate(
        text,
        translator=translator,
        matcher=Matcher([("names", NAMES)], inline_terms),
        options=PipelineOptions(),
    )
    return document, translator


def methods(document: DocumentTranslation) -> list[tuple[str, str]]:
    return [(hit.target_term, hit.method) for pair in document.sentences for hit in pair.term_hits]


def test_renderings_the_plain_translation_wrote_cost_one_decode() -> None:
    document, translator = translate(
        "قال بوتين إن الكرملين يرفض", lambda s, p: words("Putin said that the Kremlin refuses")
    )
    assert document.translation == "Putin said that the Kremlin refuses"
    assert methods(document) == [("Putin", "model"), ("Kremlin", "model")]
    assert [call.sources for call in translator.calls] == [["قال بوتين إن الكرملين يرفض"]]


def test_copied_renderings_are_inline() -> None:
    def respond(source: str, prefix: str | None) -> Reply:
        if source == "قال Putin إن Kremlin يرفض":
            return words("Putin said that the Kremlin refuses")
        return words("Boutine said that the Kremlin refuses")  # attends to no term

    document, translator = translate("قال بوتين إن الكرملين يرفض", respond)
    assert document.translation == "Putin said that the Kremlin refuses"
    assert methods(document) == [("Putin", "inline"), ("Kremlin", "inline")]
    assert [call.sources for call in translator.calls] == [
        ["قال بوتين إن الكرملين يرفض"],
        ["قال Putin إن Kremlin يرفض"],
    ]


@pytest.mark.parametrize(
    ("sentence", "reply", "expected"),
    [
        (
            "هاجم داعش المدينة",
            words("ISIS attacked the city", {"ISIS": "داعش"}),
            "The Islamic State attacked the city",  # the term's article rule adds "the"
        ),
        (
            "قال بوتين إنه سيزور المدينة",
            words("Boutine said he would visit the city", {"Boutine": "بوتين"}),
            "Putin said he would visit the city",
        ),
        (  # the article the model put before the term stays outside the replaced run
            "هاجم داعش المدينة",
            [
                ("the", "داعش"),
                ("ISIS", "داعش"),
                ("attacked", None),
                ("the", None),
                ("city", None),
            ],
            "The Islamic State attacked the city",
        ),
        (  # «مواقع داعش»: "positions" attends to the term too, and stays
            "قصفت الطائرات مواقع داعش",
            [("Jets", None), ("struck", None), ("ISIS", "داعش"), ("positions", "داعش")],
            "Jets struck the Islamic State positions",
        ),
    ],
)
def test_aligned_words_are_replaced(sentence: str, reply: Reply, expected: str) -> None:
    document, translator = translate(sentence, lambda source, prefix: reply)
    assert document.translation == expected
    assert [method for _, method in methods(document)] == ["aligned"]
    # Every term on a trustworthy run of the plain translation: no injected decode.
    assert len(translator.calls) == 1


def test_plain_translation_is_the_base_when_the_copy_fails() -> None:
    def respond(source: str, prefix: str | None) -> Reply:
        if "Putin" in source:
            return words("It was said that would come soon")  # the injected name is dropped
        return [("He", "قال"), ("said", "قال"), ("that", "إن"), ("came", "سيأتي")]

    document, translator = translate("قال إن بوتين سيأتي", respond)
    assert document.translation == "He said that Putin came"
    assert methods(document) == [("Putin", "aligned")]
    assert [call.sources for call in translator.calls] == [
        ["قال إن بوتين سيأتي"],
        ["قال إن Putin سيأتي"],
    ]


def test_unaligned_term_is_spliced_after_its_neighbours_translation() -> None:
    def respond(source: str, prefix: str | None) -> Reply:
        assert prefix is None  # no forced prefixes any more
        if "Putin" in source:
            return words("He said that")  # no word attends to the injected name
        return [("He", "قال"), ("said", "قال"), ("that", "إن"), ("would", "سيأتي")]

    document, translator = translate("قال إن بوتين سيأتي", respond)
    assert document.translation == "He said that Putin would"
    assert methods(document) == [("Putin", "aligned")]
    assert [call.sources for call in translator.calls] == [
        ["قال إن بوتين سيأتي"],
        ["قال إن Putin سيأتي"],
    ]


@pytest.mark.parametrize(
    ("sentence", "reply", "expected"),
    [
        # The model translated the preposition: the rendering goes after it, before the
        # full stop.
        ("وصلت رسالة للكرملين", "A letter arrived to.", "A letter arrived to the Kremlin."),
        ("وصلت رسالة وبموسكو", "A letter arrived!»", "A letter arrived and Moscow!»"),
        ("وصلت رسالة الكرملين", "A letter arrived", "A letter arrived the Kremlin"),
    ],
)
def test_splice_is_the_last_resort(sentence: str, reply: str, expected: str) -> None:
    # The model ignores every forced prefix: only the final splice can place the term.
    document, translator = translate(sentence, lambda source, prefix: words(reply))
    assert document.translation == expected
    assert [method for _, method in methods(document)] == ["aligned"]
    # The plain and the injected decode, and no more.
    assert len(translator.calls) == 2


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Putin Putin said he would come", "Putin said he would come"),
        ("Putin said Putin would come", "Putin said would come"),
        ("the the Kremlin said he would come", "The Kremlin said he would come"),
    ],
)
def test_a_repeated_rendering_is_kept_once(reply: str, expected: str) -> None:
    terms = [Term(("الكرملين",), "the Kremlin")]  # an inline term written with its article
    sentence = "قال بوتين إنه سيأتي" if "Putin" in reply else "قال الكرملين إنه سيأتي"
    document, _ = translate(sentence, lambda source, prefix: words(reply), terms)
    assert document.translation == expected
    [pair] = document.sentences
    [hit] = pair.term_hits
    placed = document.translation[hit.target_span.start : hit.target_span.end]
    assert placed.lower() == hit.target_term.lower()  # "The Kremlin" opens the sentence


def test_latin_name_written_in_the_source_may_repeat() -> None:
    # «Putin» in Latin script is not a hit; the model copies it and the hit's rendering.
    reply = words("Putin said Putin would come")
    document, _ = translate("قال Putin إن بوتين سيأتي", lambda source, prefix: reply)
    assert document.translation == "Putin said Putin would come"


def test_inline_term_wins_over_the_glossary() -> None:
    terms = [Term(("بوتين",), "President Putin", kind="person")]
    document, translator = translate(
        "قال بوتين", lambda source, prefix: words("President Putin said"), terms
    )
    [hit] = document.sentences[0].term_hits
    assert (hit.glossary, hit.target_term, hit.method) == ("", "President Putin", "model")
    assert len(translator.calls) == 1


def test_fallback_round_is_batched_and_single() -> None:
    sentences = ["قال بوتين ولافروف وداعش والكرملين وموسكو.", "قال بوتين.", "وقال لافروف."]
    document, translator = translate(
        " ".join(sentences), lambda source, prefix: words(prefix or "Nothing")
    )
    # The plain decodes, then the injected ones together, searched greedily: the cost stays
    # under 2x plain.
    assert [len(call.sources) for call in translator.calls] == [3, 3]
    assert [call.beam_size for call in translator.calls] == [PipelineOptions().beam_size, 1]
    hits = [hit for pair in document.sentences for hit in pair.term_hits]
    assert len(hits) == 7
    for hit in hits:
        start, end = hit.target_span.start, hit.target_span.end
        assert document.translation[start:end].lower() == hit.target_term.lower()


def test_draft_edits_move_spans_and_drop_cut_links() -> None:
    draft = Draft(
        "He met ISIS in Raqqa",
        placed={0: (15, 20)},
        anchors={1: 3},
        links=[((0, 4), (0, 2)), ((5, 9), (7, 11)), ((10, 14), (15, 20))],
    )
    assert draft.replace(7, 11, "Islamic State") == (7, 20)
    assert draft.text == "He met Islamic State in Raqqa"
    assert draft.placed == {0: (24, 29)}
    assert draft.anchors == {1: 3}
    assert draft.links == [((0, 4), (0, 2)), ((10, 14), (24, 29))]
    draft.replace(3, 3, "and ")
    assert draft.anchors == {1: 3}  # an anchor at an insertion point stays in front of it
    with pytest.raises(AssertionError, match="would cut a placed rendering"):
        draft.replace(29, 30, "x")


def test_injected_source_maps_words_back_to_the_sentence() -> None:
    sentence = "التقى لافروف وبوتين أمس"
    [match] = Matcher([("names", Glossary("names", (Term(("بوتين",), "Putin"),)))]).find(sentence)
    injected = InjectedSource.build(sentence, [HitPlan.from_match(match, 0)])
    assert injected.text == "التقى لافروف و Putin أمس"
    assert injected.rendering_spans == ((15, 20),)
    assert injected.to_sentence(21, 24) == (20, 23)  # «أمس» after the rendering
    assert injected.to_sentence(13, 14) == (13, 14)  # the kept particle «و»
    assert injected.to_sentence(15, 20) is None


@pytest.mark.parametrize("seed", range(40))
def test_the_guarantee_holds_whatever_the_model_writes(seed: int) -> None:
    """A model that writes random words, copies names anywhere, repeats them, leaves
    out words, ignores forced prefixes and attends at random."""
    rng = random.Random(seed)
    vocabulary = ["the", "and", "said", "in", "Putin", "Putin's", "Kremlin", "Islamic State"]
    vocabulary += ["Islamic", "State", "Lavrov", "Moscow", "«", ".", ",", "to", "Kremlins", ""]

    def respond(source: str, prefix: str | None) -> Reply:
        source_words = source.split()
        reply = [
            (rng.choice(vocabulary), rng.choice([None, *source_words]))
            for _ in range(rng.randint(0, 12))
        ]
        reply = [(word, attends) for word, attends in reply if word.strip()]
        if prefix is not None and rng.random() < 0.7:
            reply = [(word, rng.choice(source_words)) for word in prefix.split()] + reply
        return reply

    sentence = rng.choice(
        [
            "قال بوتين إن الكرملين وداعش وموسكو.",
            "التقى لافروف وبوتين في موسكو «داعش» للكرملين",
            "بوتين بوتين الكرملين",
            "وبموسكو قال لافروف.",
        ]
    )
    document, _ = translate(sentence, respond)
    [pair] = document.sentences
    # Every hit is placed, or reported as skipped with its reason (a rendering that would
    # stand glued to another, where the pipeline lets the enforcer skip): none is lost.
    reported = len(pair.term_hits) + len(pair.skipped_terms)
    assert reported == len(Matcher([("names", NAMES)]).find(sentence))
    assert all(skip.reason for skip in pair.skipped_terms)
    for hit in pair.term_hits:
        start, end = hit.target_span.start, hit.target_span.end
        assert document.translation[start:end] == hit.target_term
        assert not document.translation[end : end + 1].isalnum()
    targets = [hit.target_term for hit in pair.term_hits]
    for target in set(targets):  # once per hit ("Islamic State" holds no other rendering)
        copies = re.findall(rf"(?<![\w-]){re.escape(target)}(?![\w-])", pair.target)
        assert len(copies) == targets.count(target), target


# -- the English around the renderings (issue 12) --------------------------------------------


def test_article_rule_the_is_added_before_a_copied_name() -> None:
    document, _ = translate(
        "وصلت رسالة إلى الكرملين", lambda s, p: words("A letter came to Kremlin")
    )
    assert document.translation == "A letter came to the Kremlin"


def test_article_rule_none_drops_the_models_the() -> None:
    document, _ = translate(
        "قال بوتين إنه سيأتي", lambda s, p: words("the Putin said he would come")
    )
    assert document.translation == "Putin said he would come"


def test_a_determiner_already_there_is_kept() -> None:
    reply = words("A letter came to this Kremlin")
    document, _ = translate("وصلت رسالة إلى الكرملين", lambda s, p: reply)
    assert "this Kremlin" in document.translation and "the" not in document.translation


def test_a_sentence_opening_with_a_rendering_starts_with_a_capital() -> None:
    terms = [Term(("القاعدة",), "al Qaeda", kind="organization", article="none")]
    document, _ = translate(
        "القاعدة تتبنى الهجوم", lambda s, p: words("al Qaeda claimed it"), terms
    )
    assert document.translation == "Al Qaeda claimed it"
    [hit] = document.sentences[0].term_hits
    assert document.translation[hit.target_span.start : hit.target_span.end] == "Al Qaeda"


def test_stacked_coordinated_names_get_their_and_back() -> None:
    document, _ = translate("قال بوتين ولافروف", lambda s, p: words("Putin Lavrov said"))
    assert document.translation == "Putin and Lavrov said"
    assert methods(document) == [("Putin", "inline"), ("Lavrov", "inline")]


def test_a_copy_that_begins_a_longer_name_is_not_a_placement() -> None:
    terms = [Term(("واشنطن",), "Washington", kind="place")]

    def respond(source: str, prefix: str | None) -> Reply:
        attends = "Washington" if "Washington" in source else "واشنطن"
        return [("Washington", attends), ("Post", attends), ("will", None), ("go", None)]

    document, _ = translate("قال إن واشنطن ستواصل", respond, terms)
    assert document.translation == "Washington will go"
    assert methods(document) == [("Washington", "aligned")]


def test_a_skipped_hit_is_reported_and_nothing_is_forced() -> None:
    glossary = Glossary("g", (Term(("روسيا",), "Russia", kind="place"),))
    translator = ScriptedTranslator(lambda s, p: words("The regime got Russian support"))
    document = Pipeline(model_name="scripted").translate(
        "تلقى النظام دعماً روسياً",
        translator=translator,
        matcher=Matcher([("g", glossary)]),
        options=PipelineOptions(),
    )
    [pair] = document.sentences
    assert document.translation == "The regime got Russian support"
    assert pair.term_hits == ()
    [skip] = pair.skipped_terms
    assert (skip.target_term, pair.source[skip.source_span.start : skip.source_span.end]) == (
        "Russia",
        "روسياً",
    )
    assert "tanween" in skip.reason
    assert len(translator.calls) == 1  # a sentence without hits: one plain decode


def test_skipped_terms_survive_the_wire() -> None:
    from tarjama.results import SentencePair, SkippedTerm, Span
    from tarjama.wire import sentence_from_proto, sentence_to_proto

    skip = SkippedTerm("news", "المغرب", "Morocco", Span(9, 15), "context rule 'صلاة *'")
    pair = SentencePair("صلاة المغرب", "the sunset prayer", Span(0, 11), Span(0, 17))
    pair = SentencePair(**{**pair.__dict__, "skipped_terms": (skip,)})
    assert sentence_from_proto(sentence_to_proto(pair)).skipped_terms == (skip,)


# -- the measurement (bench/eval_terms.py) ---------------------------------------------------


def test_chrf_of_the_non_term_text_ignores_words_the_alignment_scatters_onto_a_term() -> None:
    from bench.eval_terms import ChrF, _without_term_words, _without_terms
    from tarjama.results import SentencePair, Span, TermHit, WordAlignment

    source = "اتهم كيري الكرملين بدعم الأسد."
    target = "Kerry accused the Kremlin of supporting Assad."

    def span(text: str, word: str) -> Span:
        return Span(text.index(word), text.index(word) + len(word))

    names = (("كيري", "Kerry"), ("الكرملين", "Kremlin"), ("الأسد", "Assad"))
    hits = tuple(
        TermHit("news", arabic, english, span(source, arabic), span(target, english), "model")
        for arabic, english in names
    )
    # The alignment head links "accused" and "supporting" to the names as well.
    alignment = (
        WordAlignment(span(source, "كيري"), span(target, "accused")),
        WordAlignment(span(source, "الأسد"), span(target, "supporting")),
    )
    pair = SentencePair(source, target, Span(0, len(source)), Span(0, len(target)), hits, alignment)
    metric = ChrF()
    metric.add(_without_terms(target, pair), _without_term_words(target, pair, pair))
    assert metric.score() == 100.0  # the model's own sentence, unchanged
