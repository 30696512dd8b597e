"""Hits the enforcer skips after the plain decode, and renderings it joins or withholds.

The enforcer is driven directly, as the pipeline drives it (plain decode, then the
injected one where it asks for it), by the scripted translator of test_enforcement: the
trained test model reads every word it does not know as a name, so the model's reading of
an ordinary word is scripted here.
"""

from __future__ import annotations

import random
import re

import pytest

from tarjama.glossary.matcher import Matcher
from tarjama.glossary.model import Glossary, Term
from tarjama.server.translate.enforce import EnforcedSentence, SentenceEnforcer, plan_hits
from tarjama.server.translate.enforce.stacking import connector
from tests.test_enforcement import Reply, Respond, ScriptedTranslator, words

GLOSSARY = Glossary(
    "g",
    (
        Term(("حماس",), "Hamas", kind="organization", ambiguous=True),
        Term(("سورية",), "Syria", kind="place"),
        Term(("حلب",), "Aleppo", kind="place"),
        Term(("داعش",), "Islamic State", kind="organization", article="the"),
        Term(("جبهة النصرة",), "Nusra Front", kind="organization", article="the"),
        Term(("بوتين",), "Putin", kind="person"),
        Term(("لافروف",), "Lavrov", kind="person"),
        Term(("موسكو",), "Moscow", kind="place"),
    ),
)


def enforce(
    sentence: str, respond: Respond, *, can_skip: bool = True
) -> tuple[EnforcedSentence, ScriptedTranslator]:
    translator = ScriptedTranslator(respond)
    hits, _ = plan_hits(sentence, Matcher([("g", GLOSSARY)]).find(sentence), False)
    enforcer = SentenceEnforcer(sentence, hits, can_skip=can_skip)
    enforcer.accept_plain(translator.translate_batch([sentence], with_alignment=True)[0])
    if enforcer.wants_injection:
        [output] = translator.translate_batch([enforcer.model_input], with_alignment=True)
        enforcer.accept(output)
    return enforcer.finish(), translator


def placed(result: EnforcedSentence) -> list[str]:
    for item in result.hits:  # every reported hit's rendering at its span
        assert result.text[item.span[0] : item.span[1]] == item.hit.target
    return [item.hit.target for item in result.hits]


def reasons(result: EnforcedSentence) -> dict[str, str]:
    return {term.target_term: term.reason for term in result.skipped_terms(True)}


# -- the model's reading ---------------------------------------------------------------------


def test_an_ambiguous_term_the_model_reads_as_an_ordinary_word_is_skipped() -> None:
    sentence = "عبر الجمهور عن حماس كبير"
    reply = words("The crowd showed great enthusiasm", {"enthusiasm": "حماس"})
    result, translator = enforce(sentence, lambda s, p: reply)
    assert result.text == "The crowd showed great enthusiasm"
    assert placed(result) == []
    assert reasons(result) == {
        "Hamas": 'the model reads it as an ordinary word, "enthusiasm", not a name'
    }
    [skipped] = result.skipped_terms(True)
    assert sentence[skipped.source_span.start : skipped.source_span.end] == "حماس"
    assert len(translator.calls) == 1  # nothing left to place: no injected decode


def test_a_nisba_the_model_reads_as_the_adjective_is_skipped() -> None:
    # «مسؤول» is masculine: the Arabic alone does not show the adjective, the model does.
    reply = words("A Syrian official said", {"Syrian": "سورية"})
    result, _ = enforce("قال مسؤول سورية", lambda s, p: reply)
    assert result.text == "A Syrian official said"
    assert reasons(result) == {
        "Syria": 'the model reads it as the adjective "Syrian", not the name'
    }


@pytest.mark.parametrize(
    ("sentence", "reply", "expected"),
    [
        (  # the model wrote the name: applied
            "قال مسؤول في حماس",
            words("An official in Hamas said", {"Hamas": "حماس"}),
            "An official in Hamas said",
        ),
        (  # a name nothing marks is not dropped on a lower-case word from a weak model
            "ذهب إلى حلب",
            words("He went to milk", {"milk": "حلب"}),
            "He went to Aleppo",
        ),
        (  # a made-up run of words around an unknown word says nothing either way
            "قال مسؤول في حماس",
            words(
                "An official said the bombers took off",
                dict.fromkeys(["the", "bombers", "took", "off"], "حماس"),
            ),
            None,
        ),
    ],
)
def test_the_models_reading_skips_nothing_else(
    sentence: str, reply: Reply, expected: str | None
) -> None:
    result, _ = enforce(sentence, lambda s, p: reply)
    assert result.skipped == ()
    assert len(placed(result)) == 1
    if expected is not None:
        assert result.text == expected


def test_without_can_skip_every_hit_is_placed() -> None:
    reply = words("The crowd showed great enthusiasm", {"enthusiasm": "حماس"})
    result, _ = enforce("عبر الجمهور عن حماس كبير", lambda s, p: reply, can_skip=False)
    assert placed(result) == ["Hamas"] and result.skipped == ()


def test_a_skipped_terms_arabic_is_not_injected() -> None:
    def respond(source: str, prefix: str | None) -> Reply:
        return words("The crowd showed great enthusiasm for", {"enthusiasm": "حماس"})

    result, translator = enforce("عبر الجمهور عن حماس كبير لبوتين", respond)
    assert reasons(result).keys() == {"Hamas"}
    assert placed(result) == ["Putin"]
    assert translator.calls[1].sources == ["عبر الجمهور عن حماس كبير ل Putin"]


# -- renderings spliced where the model left words out ---------------------------------------


def test_names_spliced_together_are_joined_as_the_arabic_joins_them() -> None:
    """The seed article's first sentence on the trained test model: the last clause left
    out, its three names spliced at one spot."""
    sentence = "اتفقا على غرفة عمليات في حلب لاستهداف «داعش» و «جبهة النصرة» في سورية."
    reply = words("They agreed on an operations room in Aleppo yesterday .", {"Aleppo": "حلب"})
    result, _ = enforce(sentence, lambda s, p: reply)
    assert result.text.endswith(
        "in Aleppo yesterday the Islamic State and the Nusra Front in Syria ."
    )
    assert placed(result) == ["Aleppo", "Islamic State", "Nusra Front", "Syria"]


def test_a_spliced_name_goes_in_front_of_a_later_names_leading_words() -> None:
    sentence = "قال إن بوتين ولافروف في موسكو"
    reply = words("He said in Moscow", {"Moscow": "موسكو", "said": "قال"})
    result, _ = enforce(sentence, lambda s, p: reply)
    assert "Putin and Lavrov in Moscow" in result.text
    assert result.skipped == ()


def test_a_rendering_that_would_be_glued_to_another_is_withheld_with_its_reason() -> None:
    sentence = "رحب لافروف ببوتين في موسكو."
    reply = words("Lavrov in Moscow .", {"Lavrov": "لافروف", "Moscow": "موسكو"})
    result, _ = enforce(sentence, lambda s, p: reply)
    assert result.text == "Lavrov in Moscow ."
    assert placed(result) == ["Lavrov", "Moscow"]
    assert reasons(result) == {
        "Putin": "the translation left out the words around it: placed, 'Putin' would "
        "stand glued to 'Lavrov'"
    }


@pytest.mark.parametrize(
    ("between", "expected"),
    [
        ("» و «", "and"),
        ("» في ", "in"),
        (" وفي ", "and in"),
        ("، ", ","),
        (" ", ""),
        (" وقال ل", None),  # a verb the model did not translate
        (" ب", None),  # ب: "with", "by", "in" as the verb wants
    ],
)
def test_the_english_for_the_words_between_two_terms(between: str, expected: str | None) -> None:
    sentence = "«داعش" + between + "جبهة النصرة»"
    hits, _ = plan_hits(sentence, Matcher([("g", GLOSSARY)]).find(sentence), False)
    assert connector(sentence, *hits) == expected


@pytest.mark.parametrize("seed", range(40))
def test_skipping_keeps_the_guarantee_whatever_the_model_writes(seed: int) -> None:
    """Every hit is placed at its span once, or skipped with a reason; none is lost."""
    rng = random.Random(seed)
    vocabulary = ["the", "and", "said", "in", "Putin", "Lavrov", "Moscow", "Islamic State"]
    vocabulary += ["Islamic", "State", "enthusiasm", "Syrian", "«", ".", ",", "to", "Aleppo"]

    def respond(source: str, prefix: str | None) -> Reply:
        source_words = source.split()
        return [
            (rng.choice(vocabulary), rng.choice([None, *source_words]))
            for _ in range(rng.randint(0, 12))
        ]

    sentence = rng.choice(
        [
            "قال بوتين إن حماس وداعش وموسكو.",
            "التقى لافروف وبوتين في موسكو «داعش» و «جبهة النصرة» في سورية",
            "بوتين بوتين حلب حماس",
            "وبموسكو قال لافروف عن حماس كبير.",
        ]
    )
    result, _ = enforce(sentence, respond)
    matches = Matcher([("g", GLOSSARY)]).find(sentence)
    assert len(result.hits) + len(result.skipped) == len(matches)
    targets = placed(result)
    for target in set(targets):
        copies = re.findall(rf"(?<![\w-]){re.escape(target)}(?![\w-])", result.text)
        assert len(copies) == targets.count(target), target
    assert all(reason for _, reason in result.skipped)
