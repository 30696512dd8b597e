"""Glossary matching: whole words, proclitics, normalisation, longest match, priority."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from tarjama.glossary import (
    Glossary,
    Match,
    Matcher,
    Term,
    describe_proclitic,
    load_glossary,
    match_key,
)
from tarjama.glossary.normalize import normalize_text

DATA = Path(__file__).parent / "data"
SEED = Path(__file__).parents[1] / "seeds" / "000_5cb57f188978d242.txt"


def matcher_for(*terms: Term, name: str = "test") -> Matcher:
    return Matcher([(name, Glossary(name, terms))])


def only_match(matcher: Matcher, text: str) -> Match:
    matches = matcher.find(text)
    assert len(matches) == 1, [text[m.start : m.end] for m in matches]
    return matches[0]


KREMLIN = Term(("الكرملين",), "Kremlin", kind="organization")
PUTIN = Term(("بوتين",), "Putin", kind="person")
ARMY = Term(("جيش",), "army")
LEBANON = Term(("لبنان",), "Lebanon", kind="place")
LATAKIA = Term(("اللاذقية",), "Latakia", kind="place")


@pytest.mark.parametrize(
    ("term", "word", "proclitic"),
    [
        # A term that carries its own article.
        (KREMLIN, "الكرملين", ""),
        (KREMLIN, "والكرملين", "و"),
        (KREMLIN, "فالكرملين", "ف"),
        (KREMLIN, "بالكرملين", "ب"),
        (KREMLIN, "كالكرملين", "ك"),
        (KREMLIN, "وبالكرملين", "وب"),
        (KREMLIN, "فبالكرملين", "فب"),
        (KREMLIN, "وكالكرملين", "وك"),
        (KREMLIN, "للكرملين", "لل"),
        (KREMLIN, "وللكرملين", "ولل"),
        (KREMLIN, "فللكرملين", "فلل"),
        # A term written without the article: the article is a proclitic too.
        (PUTIN, "وبوتين", "و"),
        (PUTIN, "فبوتين", "ف"),
        (PUTIN, "ببوتين", "ب"),
        (PUTIN, "لبوتين", "ل"),
        (PUTIN, "كبوتين", "ك"),
        (PUTIN, "وببوتين", "وب"),
        (PUTIN, "ولبوتين", "ول"),
        (PUTIN, "فببوتين", "فب"),
        (PUTIN, "فلبوتين", "فل"),
        (ARMY, "الجيش", "ال"),
        (ARMY, "والجيش", "وال"),
        (ARMY, "فالجيش", "فال"),
        (ARMY, "بالجيش", "بال"),
        (ARMY, "كالجيش", "كال"),
        (ARMY, "للجيش", "لل"),
        (ARMY, "وبالجيش", "وبال"),
        (ARMY, "وللجيش", "ولل"),
        (ARMY, "فبالجيش", "فبال"),
        # A term whose first letter is ل: ل + لبنان is written للبنان.
        (LEBANON, "للبنان", "ل"),
        (LEBANON, "وللبنان", "ول"),
        # ل + a term that starts with الل: Arabic writes two lams, not three.
        (LATAKIA, "للاذقية", "ل"),
        (LATAKIA, "وللاذقية", "ول"),
        (LATAKIA, "فللاذقية", "فل"),
        (LATAKIA, "لِلَّاذِقِيَّة", "لِ"),
        # Diacritics and tatweel on the proclitic stay in the reported proclitic.
        (KREMLIN, "وَبِالكرملين", "وَبِ"),
        (ARMY, "وَبِالْجيش", "وَبِالْ"),
        (PUTIN, "لـبوتين", "لـ"),
    ],
)
def test_proclitics_are_matched_and_reported(term: Term, word: str, proclitic: str) -> None:
    text = f"قال مسؤول إن {word} أكد ذلك"
    match = only_match(matcher_for(term), text)
    assert text[match.start : match.end] == word
    assert match.proclitic == proclitic == text[match.start : match.term_start]
    assert match.term_end == match.end
    assert match.target == term.target
    parts = describe_proclitic(match.proclitic)
    rebuilt = parts.conjunction + parts.preposition + ("ال" if parts.article else "")
    assert normalize_text(match.proclitic) in (rebuilt, rebuilt.replace("لال", "لل"))


@pytest.mark.parametrize(
    ("proclitic", "conjunction", "preposition", "article"),
    [
        ("", "", "", False),
        ("و", "و", "", False),
        ("ف", "ف", "", False),
        ("ب", "", "ب", False),
        ("ال", "", "", True),
        ("وبال", "و", "ب", True),
        ("لل", "", "ل", True),
        ("ولل", "و", "ل", True),
        ("فكال", "ف", "ك", True),
        ("وَبِ", "و", "ب", False),
    ],
)
def test_describe_proclitic(
    proclitic: str, conjunction: str, preposition: str, article: bool
) -> None:
    parts = describe_proclitic(proclitic)
    assert (parts.conjunction, parts.preposition, parts.article) == (
        conjunction,
        preposition,
        article,
    )


@pytest.mark.parametrize("not_a_proclitic", ["بو", "الو", "لو", "وو"])
def test_describe_proclitic_rejects_other_prefixes(not_a_proclitic: str) -> None:
    with pytest.raises(ValueError, match="is not a proclitic"):
        describe_proclitic(not_a_proclitic)


@pytest.mark.parametrize(
    ("source", "text", "matched"),
    [
        ("بوتين", "قال بُوتِينُ إن", "بُوتِينُ"),
        ("بُوتِين", "قال بوتين إن", "بوتين"),
        ("بوتين", "قال بـــوتين إن", "بـــوتين"),
        ("إسرائيل", "قالت اسرائيل إن", "اسرائيل"),
        ("اسرائيل", "قالت إسرائيل إن", "إسرائيل"),
        ("الأسد", "الرئيس الاسد قال", "الاسد"),
        ("آسيا", "في اسيا الوسطى", "اسيا"),
        ("مصطفى", "قال مصطفي إن", "مصطفي"),
        ("سورية", "في سوريه اليوم", "سوريه"),
        ("كردستان", "إقليم کردستان", "کردستان"),
        ("إيران", "زار ایران أمس", "ایران"),
        ("فيينا", "محادثات ڤيينا", "ڤيينا"),
        ("القرار 2254", "تطبيق القرار ٢٢٥٤ كاملا", "القرار ٢٢٥٤"),
        ("القرار ٢٢٥٤", "تطبيق القرار ۲۲۵۴ كاملا", "القرار ۲۲۵۴"),
        ("داعش", "مقاتلو \u200fداعش\u200f في", "داعش"),
        ("داعش", "مقاتلو دا\u200cعش في", "دا\u200cعش"),
        ("جبهة النصرة", "مقاتلو جبهة\u00a0النصرة في", "جبهة\u00a0النصرة"),
        ("جبهة النصرة", "مقاتلو جبهة  النصرة في", "جبهة  النصرة"),
        ("بان كي مون", "قال بان كي-مون إن", "بان كي-مون"),
        ("بوتين", "قال ﺑﻮﺗﻴﻦ إن", "ﺑﻮﺗﻴﻦ"),
    ],
)
def test_normalised_spellings_match_and_map_back(source: str, text: str, matched: str) -> None:
    match = only_match(matcher_for(Term((source,), "X")), text)
    assert text[match.start : match.end] == matched
    assert match.source_form == source


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("استهداف تنظيم «داعش» في سورية", "داعش"),
        ('استهداف تنظيم "داعش" في سورية', "داعش"),
        ("استهداف تنظيم “داعش” في سورية", "داعش"),
        ("استهداف تنظيم (داعش) في سورية", "داعش"),
        ("استهداف «داعش»، و«النصرة»", "داعش"),
        ("ضد داعش.", "داعش"),
    ],
)
def test_quotes_and_punctuation_are_outside_the_match(text: str, matched: str) -> None:
    match = only_match(matcher_for(Term(("داعش",), "Islamic State")), text)
    assert text[match.start : match.end] == matched


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("داعش", "قصف مواقع الداعشيين"),
        ("بوتين", "السياسة البوتينية"),
        ("عمان", "الريال العماني"),
        ("تدمر", "الطائرات تدمرت"),
        ("روسيا", "روسياتي"),
        ("الولايات المتحدة", "الولايات. المتحدة"),
        ("الولايات المتحدة", "الولايات، المتحدة"),
        ("الولايات المتحدة", "الولايات المتحدتين"),
        ("جيش", "جيشان"),
    ],
)
def test_whole_words_only(source: str, text: str) -> None:
    assert matcher_for(Term((source,), "X")).find(text) == []


def test_several_forms_of_one_term_report_which_form_matched() -> None:
    islamic_state = Term(("داعش", "تنظيم الدولة الإسلامية"), "Islamic State")
    text = "قاتل تنظيم الدولة الإسلامية المعروف باسم داعش"
    matches = matcher_for(islamic_state).find(text)
    assert [(text[m.start : m.end], m.source_form, m.target) for m in matches] == [
        ("تنظيم الدولة الإسلامية", "تنظيم الدولة الإسلامية", "Islamic State"),
        ("داعش", "داعش", "Islamic State"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ضد «داعش» في سورية", ["داعش"]),
        ("ضد داعش في سورية", ["داعش"]),
        ("ضد داعش وداعش وبداعش في سورية", ["داعش"]),
        ("قتال الداعش", []),
    ],
)
def test_exact_terms_take_no_proclitics(text: str, expected: list[str]) -> None:
    matcher = matcher_for(Term(("داعش",), "Islamic State", exact=True))
    assert [text[m.start : m.end] for m in matcher.find(text)] == expected


def test_longest_match_wins_and_matches_never_overlap() -> None:
    matcher = matcher_for(
        Term(("وزارة الدفاع",), "Defence Ministry"),
        Term(("وزارة الدفاع الروسية",), "Russian Defence Ministry"),
        Term(("الدفاع",), "defence"),
    )
    text = "وأعلنت وزارة الدفاع الروسية أمس أن وزارة الدفاع ستدعم الدفاع"
    matches = matcher.find(text)
    assert [(text[m.start : m.end], m.target) for m in matches] == [
        ("وزارة الدفاع الروسية", "Russian Defence Ministry"),
        ("وزارة الدفاع", "Defence Ministry"),
        ("الدفاع", "defence"),
    ]


def test_longest_match_wins_even_when_it_starts_later() -> None:
    matcher = matcher_for(
        Term(("مجلس الأمن",), "Security Council"),
        Term(("الأمن القومي الأميركي",), "US national security"),
    )
    text = "اجتمع مجلس الأمن القومي الأميركي أمس"
    match = only_match(matcher, text)
    assert text[match.start : match.end] == "الأمن القومي الأميركي"


def test_a_shorter_term_fills_in_beside_a_longer_one() -> None:
    matcher = matcher_for(
        Term(("الرئيس",), "President"),
        Term(("الرئيس السوري",), "Syrian President"),
        Term(("بشار الأسد",), "Bashar al-Assad"),
        Term(("السوري بشار الأسد",), "Syria's Bashar al-Assad"),
    )
    text = "قال الرئيس السوري بشار الأسد"
    matches = matcher.find(text)
    assert [text[m.start : m.end] for m in matches] == ["الرئيس", "السوري بشار الأسد"]


def test_earlier_glossary_wins_on_equal_length_and_later_one_fills_gaps() -> None:
    news = load_glossary(DATA / "glossaries" / "news_small.yaml")
    override = load_glossary(DATA / "glossaries" / "override.yaml")
    text = "وأعلن الكرملين أن طائرات قصفت تدمر وبوتين"
    for first, second, kremlin, palmyra in [
        (override, news, "the Kremlin", "Tadmur"),
        (news, override, "Kremlin", "Palmyra"),
    ]:
        matches = Matcher([(first.name, first), (second.name, second)]).find(text)
        assert [(m.target, m.glossary) for m in matches] == [
            (kremlin, first.name),
            (palmyra, first.name),
            ("Putin", "news-small"),
        ]


def test_inline_terms_win_over_every_glossary() -> None:
    news = load_glossary(DATA / "glossaries" / "news_small.yaml")
    inline = [Term(("بوتين",), "President Putin")]
    text = "التقى كيري وبوتين في موسكو"
    matches = Matcher([("news-small", news)], inline).find(text)
    assert [(text[m.start : m.end], m.target, m.glossary) for m in matches] == [
        ("كيري", "Kerry", "news-small"),
        ("وبوتين", "President Putin", ""),
        ("موسكو", "Moscow", "news-small"),
    ]


def test_a_longer_glossary_term_still_beats_a_shorter_inline_term() -> None:
    news = load_glossary(DATA / "glossaries" / "news_small.yaml")
    text = "أجرى الرئيس فلاديمير بوتين محادثات"
    match = only_match(Matcher([("news-small", news)], [PUTIN]), text)
    assert (text[match.start : match.end], match.target) == ("فلاديمير بوتين", "Vladimir Putin")


def test_the_two_lam_spelling_is_read_only_before_a_lam() -> None:
    # ل + الكتاب is للكتاب; «لكتاب» is ل + كتاب ("for a book") and not the term.
    matcher = matcher_for(Term(("الكتاب",), "the Book"), LATAKIA)
    assert matcher.find("قرأ لكتاب ثم سافر لاذقية") == []
    assert [m.target for m in matcher.find("قرأ للكتاب ثم سافر للاذقية")] == [
        "the Book",
        "Latakia",
    ]


ICRC = Term(("اللجنة الدولية للصليب الأحمر",), "International Committee of the Red Cross")
RED_CROSS = Term(("الصليب الأحمر",), "Red Cross")


@pytest.mark.parametrize("proclitic", ["", "و", "ب", "ل", "ول", "فب", "وب", "ك"])
@pytest.mark.parametrize("order", [(ICRC, RED_CROSS), (RED_CROSS, ICRC)])
def test_the_longest_term_wins_over_a_shorter_one_inside_it_whatever_the_clitics(
    proclitic: str, order: tuple[Term, Term]
) -> None:
    written = {"ل": "للجنة", "ول": "وللجنة"}.get(proclitic, proclitic + "اللجنة")
    name = f"{written} الدولية للصليب الأحمر"
    text = f"وقالت {name} إن"
    match = only_match(matcher_for(*order), text)
    assert (text[match.start : match.end], match.target) == (name, ICRC.target)


def test_the_term_not_its_proclitics_decides_which_overlapping_match_is_longer() -> None:
    # «ولمجلس الأمن» is longer written than «الأمن العام», but its term is shorter.
    matcher = matcher_for(
        Term(("مجلس الأمن",), "Security Council"), Term(("الأمن العام",), "General Security")
    )
    match = only_match(matcher, "وأبلغ ولمجلس الأمن العام")
    assert match.target == "General Security"


@pytest.mark.parametrize(
    ("gap", "targets"),
    [
        pytest.param("\n", ["John Kerry"], id="line-break"),
        pytest.param(" \r\n ", ["John Kerry"], id="crlf-and-spaces"),
        pytest.param("\n\n", ["Kerry"], id="blank-line"),
        pytest.param("\n \n", ["Kerry"], id="line-of-spaces"),
        pytest.param("\u2029", ["Kerry"], id="paragraph-separator"),
    ],
)
def test_a_term_spans_a_single_line_break_but_not_a_paragraph_break(
    gap: str, targets: list[str]
) -> None:
    matcher = matcher_for(Term(("جون كيري",), "John Kerry"), Term(("كيري",), "Kerry"))
    assert [m.target for m in matcher.find(f"التقى جون{gap}كيري أمس")] == targets


def test_a_term_with_its_own_article_needs_it() -> None:
    text = "مبنى كرملين موسكو القديم"
    assert matcher_for(KREMLIN).find(text) == []


def test_the_plain_reading_of_a_word_wins_over_a_proclitic_reading() -> None:
    # «لبنان» could also be read ل + بنان; the plain reading wins even over an earlier term.
    matcher = matcher_for(Term(("بنان",), "Banan"), LEBANON)
    text = "في لبنان وبلبنان"
    assert [(m.proclitic, m.target) for m in matcher.find(text)] == [
        ("", "Lebanon"),
        ("وب", "Lebanon"),
    ]


SEED_TERMS = [
    ("فلاديمير بوتين", "Vladimir Putin"),
    ("جون كيري", "John Kerry"),
    ("سيرغي لافروف", "Sergei Lavrov"),
    ("الكرملين", "Kremlin"),
    ("داعش", "Islamic State"),
    ("جبهة النصرة", "Nusra Front"),
    ("وكيري", "Kerry"),
    ("رويترز", "Reuters"),
    ("وزارة الدفاع الروسية", "Russian Defence Ministry"),
    ("تدمر", "Palmyra"),
    ("الولايات المتحدة", "United States"),
    ("سورية", "Syria"),
    ("موسكو", "Moscow"),
]


@pytest.fixture(scope="module")
def seed_matches() -> tuple[str, list[Match]]:
    text = SEED.read_text(encoding="utf-8")
    news = load_glossary(DATA / "glossaries" / "news_small.yaml")
    return text, Matcher([("news-small", news)]).find(text)


@pytest.mark.parametrize(("written", "target"), SEED_TERMS)
def test_seed_article_terms_are_found(
    seed_matches: tuple[str, list[Match]], written: str, target: str
) -> None:
    text, matches = seed_matches
    assert (written, target) in {(text[m.start : m.end], m.target) for m in matches}


def test_seed_article_matches_are_sorted_disjoint_and_exact(
    seed_matches: tuple[str, list[Match]],
) -> None:
    text, matches = seed_matches
    assert matches
    for previous, current in pairwise(matches):
        assert previous.end <= current.start
    for match in matches:
        assert match.start <= match.term_start < match.term_end == match.end
        matched_words = match_key(text[match.term_start : match.term_end])
        assert matched_words == match_key(match.source_form)
        assert text[match.start - 1 : match.start].strip(" «") == ""
        assert text[match.end : match.end + 1] in ("", " ", "»", "،", ".", "\n")


def test_empty_text_and_text_without_terms_have_no_matches() -> None:
    matcher = matcher_for(PUTIN)
    assert matcher.find("") == []
    assert matcher.find("قال المسؤول إن الاجتماع انتهى. 2015") == []
