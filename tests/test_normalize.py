"""Arabic normalisation for matching, and the offset map back to the original text."""

from __future__ import annotations

import pytest

from tarjama.glossary import contains_arabic_letter, normalize
from tarjama.glossary.normalize import normalize_text

FOLDING_CASES = [
    pytest.param("بُوتِينُ", "بوتين", id="harakat"),
    pytest.param("سَيُقَدِّمُهَا", "سيقدمها", id="shadda-and-harakat"),
    pytest.param("رَحْمَةً", "رحمه", id="sukun-tanween-teh-marbuta"),
    pytest.param("هٰذا", "هذا", id="superscript-alef"),
    pytest.param("ٱلْحَمْدُ ۖ لِلَّهِ", "الحمد  لله", id="quranic-pause-mark"),
    pytest.param("الرَّحِيمِ ۝١", "الرحيم ۝1", id="quranic-end-of-ayah-sign-kept"),
    pytest.param("صَلَّى اللّٰهُ عَلَيْهِ ﷺ", "صلي الله عليه صلي الله عليه وسلم", id="ligature-salla"),
    pytest.param("بـــوتين", "بوتين", id="tatweel"),
    pytest.param("أحمد إيران آسيا ٱلله", "احمد ايران اسيا الله", id="alef-forms"),
    pytest.param("مصطفى على", "مصطفي علي", id="alef-maqsura"),
    pytest.param("سورية الدولة", "سوريه الدوله", id="teh-marbuta"),
    pytest.param("کردستان ایران", "كردستان ايران", id="persian-keheh-and-yeh"),
    pytest.param("ہندوستان ھند", "هندوستان هند", id="urdu-heh-forms"),
    pytest.param("ڤيينا پاريس", "فيينا باريس", id="veh-and-peh"),
    pytest.param("القرار ٢٢٥٤", "القرار 2254", id="arabic-indic-digits"),
    pytest.param("سال ۱۳۹۴", "سال 1394", id="persian-digits"),
    pytest.param("دا\u200cعش", "داعش", id="zero-width-non-joiner"),
    pytest.param("\u200fداعش\u200e", "داعش", id="rlm-lrm"),
    pytest.param("\u202bداعش\u202c", "داعش", id="bidi-embedding"),
    pytest.param("\u2067داعش\u2069", "داعش", id="bidi-isolate"),
    pytest.param("\ufeffداعش", "داعش", id="byte-order-mark"),
    pytest.param("جبهة\u00a0النصرة", "جبهه النصره", id="no-break-space"),
    pytest.param("جبهة\u202fالنصرة", "جبهه النصره", id="narrow-no-break-space"),
    pytest.param("ﻻ ﻷن", "لا لان", id="lam-alef-ligatures"),
    pytest.param("ﺑﻮﺗﻴﻦ", "بوتين", id="presentation-forms"),
    pytest.param("ﹰداعش", "داعش", id="isolated-haraka-form"),
]


@pytest.mark.parametrize(("original", "expected"), FOLDING_CASES)
def test_normalize_folds_spelling_variants(original: str, expected: str) -> None:
    assert normalize(original).text == expected


@pytest.mark.parametrize(("original", "expected"), FOLDING_CASES)
def test_normalize_is_idempotent(original: str, expected: str) -> None:
    assert normalize_text(normalize_text(original)) == normalize_text(original)


@pytest.mark.parametrize(("original", "expected"), FOLDING_CASES)
def test_every_normalised_character_maps_to_the_original_character_it_came_from(
    original: str, expected: str
) -> None:
    normalized = normalize(original)
    for index, char in enumerate(normalized.text):
        source_char = original[normalized.original_index(index)]
        assert char in normalize_text(source_char) or char == source_char


@pytest.mark.parametrize(
    ("original", "word", "expected_span_text"),
    [
        ("قال بوتينُ اليوم", "بوتين", "بوتينُ"),
        ("قال بُوتِينُ اليوم", "بوتين", "بُوتِينُ"),
        ("التقى كيري ـ بوتين", "كيري", "كيري"),
        ("وصل بـــوتين", "بوتين", "بـــوتين"),
        ("\u200fداعش\u200e و", "داعش", "داعش"),
        ("ﻻ ﺑﻮﺗﻴﻦ هنا", "بوتين", "ﺑﻮﺗﻴﻦ"),
        ("ﻻ بوتين", "لا", "ﻻ"),
        ("الرئيس ﷺ بوتين", "بوتين", "بوتين"),
    ],
)
def test_original_span_covers_the_written_word(
    original: str, word: str, expected_span_text: str
) -> None:
    normalized = normalize(original)
    start = normalized.text.index(word)
    original_start, original_end = normalized.original_span(start, start + len(word))
    assert original[original_start:original_end] == expected_span_text


def test_text_without_irregular_characters_maps_one_to_one() -> None:
    text = "أجرى الرئيس الروسي فلاديمير بوتين جولة محادثات"
    normalized = normalize(text)
    assert len(normalized.text) == len(text)
    assert [normalized.original_index(i) for i in range(len(text))] == list(range(len(text)))


def test_original_index_past_the_end_is_the_original_length() -> None:
    normalized = normalize("بُوتِينُ")
    assert normalized.original_index(len(normalized.text)) == len("بُوتِينُ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("مشاركة :", True),
        ("ISIS داعش", True),
        ("ﺑﻮﺗﻴﻦ", True),
        ("ڤيينا", True),
        ("2015", False),
        ("٢٠١٥", False),
        ("ً ّ", False),
        ("ISIS", False),
        ("«»، ؟", False),
        ("", False),
    ],
)
def test_contains_arabic_letter(text: str, expected: bool) -> None:
    assert contains_arabic_letter(text) is expected
