"""The bundled news glossary: it loads, it is big enough, and it finds what it promises.

The seed article is the reference: every person, organisation and place in it must be
found at its exact place with the agreed English name, and nothing else may be.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tarjama.glossary import Glossary, Matcher, contains_arabic_letter, load_glossary
from tarjama.glossary.model import GlossaryError
from tarjama.glossary.yaml_io import dump_glossary, parse_glossary
from tarjama.server.translate.enforce import plan_hits

ROOT = Path(__file__).resolve().parent.parent
NEWS_GLOSSARY = ROOT / "glossary" / "news.yaml"
SEED_ARTICLE = ROOT / "seeds" / "000_5cb57f188978d242.txt"

# The seed article's entities, as written there → the English the glossary must give.
# Longer entries win over the shorter ones they contain (جون كيري over كيري), as in the
# matcher; a clitic in front (وكيري) leaves the term's own span unchanged.
SEED_ENTITIES: dict[str, str] = {
    "فلاديمير بوتين": "Vladimir Putin",
    "بوتين": "Putin",
    "جون كيري": "John Kerry",
    "كيري": "Kerry",
    "سيرغي لافروف": "Sergei Lavrov",
    "لافروف": "Lavrov",
    "ديمتري بيسكوف": "Dmitry Peskov",
    "بيسكوف": "Peskov",
    "الأسد": "Assad",
    "الكرملين": "Kremlin",
    "الخارجية الأميركية": "State Department",
    "وزارة الدفاع الروسية": "Russian Defence Ministry",
    "داعش": "Islamic State",
    "جبهة النصرة": "Nusra Front",
    "النصرة": "Nusra Front",
    "القاعدة": "al Qaeda",
    "رويترز": "Reuters",
    "واشنطن بوست": "Washington Post",
    "توبوليف": "Tupolev",
    "موسكو": "Moscow",
    "واشنطن": "Washington",
    "الولايات المتحدة": "United States",
    "روسيا": "Russia",
    "سورية": "Syria",
    "عمّان": "Amman",
    "عمان": "Amman",
    "أوروبا": "Europe",
    "تدمر": "Palmyra",
    # Not an entity: the guard that keeps the adjective («الأجواء السورية») from Syria.
    "السورية": "Syrian",
}


@pytest.fixture(scope="module")
def news() -> Glossary:
    return load_glossary(NEWS_GLOSSARY)


@pytest.fixture(scope="module")
def matcher(news: Glossary) -> Matcher:
    return Matcher([("news", news)])


def _targets(matcher: Matcher, text: str) -> list[str]:
    return [match.target for match in matcher.find(text)]


def _expected_seed_hits(text: str) -> set[tuple[int, int, str]]:
    """(start, end, target) of every table entry in `text`, longer entries first."""
    occurrences = [
        (start, start + len(surface), target)
        for surface, target in SEED_ENTITIES.items()
        for start in (m.start() for m in re.finditer(re.escape(surface), text))
    ]
    occurrences.sort(key=lambda hit: hit[0] - hit[1])  # longest first
    kept: list[tuple[int, int, str]] = []
    for start, end, target in occurrences:
        if not any(start < kept_end and kept_start < end for kept_start, kept_end, _ in kept):
            kept.append((start, end, target))
    return set(kept)


def test_news_glossary_has_at_least_150_terms(news: Glossary) -> None:
    assert news.name == "news"
    assert len(news.terms) >= 150


def test_every_seed_entity_is_found_at_its_place_and_nothing_else(matcher: Matcher) -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    expected = _expected_seed_hits(text)
    found = {(m.term_start, m.term_end, m.target) for m in matcher.find(text)}
    assert found == expected
    # Every entity of the table occurs in the article, so none of them is untested.
    assert {target for _, _, target in expected} == set(SEED_ENTITIES.values())


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        # Variant spellings Arabic media use for the same name.
        ("التقى سيرجي لافروف نظيره الأمريكي", ["Sergei Lavrov"]),
        ("قال متحدث باسم وزارة الخارجية الأمريكية", ["State Department"]),
        ("وأعلن ترمب أن الولايات المتحدة الأمريكية", ["Trump", "United States"]),
        (
            "استقبل الملك عبدالله الثاني وزير الدفاع سيرغي شويجو",
            ["King Abdullah II", "Sergei Shoigu"],
        ),
        ("اشتباكات في ريف حماه الشمالي", ["Hama"]),
        ("أعلنت قوات سوريا الديمقراطية السيطرة على منبج", ["Syrian Democratic Forces", "Manbij"]),
        ("قال رئيس الوزراء بنيامين نتانياهو", ["Benjamin Netanyahu"]),
        # Proclitics and the article in front of names from regional news.
        ("غارات على مواقع للحوثيين في صنعاء والحديدة", ["Houthis", "Sanaa", "Hodeidah"]),
        (
            "وقال المرصد السوري لحقوق الإنسان إن قصفاً استهدف بالرقة",
            [
                "Syrian Observatory for Human Rights",
                "Raqqa",
            ],
        ),
        ("نقلت وكالة الأناضول عن مصادر في أنقرة", ["Anadolu", "Ankara"]),
        ("بعث برسالة للكرملين ولحزب الله", ["Kremlin", "Hezbollah"]),
        ("مقاتلو هيئة تحرير الشام في إدلب", ["Hayat Tahrir al-Sham", "Idlib"]),
        ("وصل المبعوث ستيفان دي ميستورا إلى جنيف", ["Staffan de Mistura", "Geneva"]),
    ],
)
def test_regional_news_forms_are_found(matcher: Matcher, text: str, targets: list[str]) -> None:
    assert _targets(matcher, text) == targets


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        # عمان alone is Amman; Oman only in its longer form.
        ("اجتماع في العاصمة الأردنية عمان", ["Amman"]),
        ("وصل وزير خارجية سلطنة عمان إلى طهران", ["Oman", "Tehran"]),
        # Guards: a longer common phrase keeps its words from becoming a name.
        ("تحلق الطائرات في الأجواء السورية", ["Syrian"]),
        ("هبطت الطائرة في القاعدة الجوية", ["air base"]),
        ("أعلنت الشركة حالة القوة القاهرة", ["force majeure"]),
        ("استقبل الجمهور اللاعبين بكثير من الحماس", ["enthusiasm"]),
        ("اجتمع مجلس الأمن القومي الأميركي", ["National Security Council"]),
        ("صوت مجلس الأمن الدولي على القرار", ["U.N. Security Council"]),
        # Spellings that are also common words are listed only in unambiguous forms.
        ("فتح الجيش الطريق أمام المساعدات", []),
        ("قال متحدث باسم حركة فتح", ["Fatah"]),
        ("وصلت القوات السعودية", []),
    ],
)
def test_ambiguous_spellings_follow_the_recorded_decisions(
    matcher: Matcher, text: str, targets: list[str]
) -> None:
    assert _targets(matcher, text) == targets


def test_targets_follow_the_house_conventions(news: Glossary) -> None:
    for term in news.terms:
        assert not contains_arabic_letter(term.target), term.target
        assert not re.match(r"(?i)the\s", term.target), f"no leading article: {term.target}"
        # The article is written "al-"; only broadcasters' own brands keep "Al ", and
        # Reuters' "al Qaeda" its own form.
        target = term.target.replace("al Qaeda", "al-Qaeda")
        assert not re.search(r"\b(Al-|El-|el-|al )", target), term.target


def test_one_agency_style_throughout(news: Glossary) -> None:
    """Reuters, as the file's header says: al Qaeda, Mursi, U.N.; never AP's forms."""
    targets = {term.target for term in news.terms}
    assert {"al Qaeda", "Mohamed Mursi", "U.N. Security Council", "Tayyip Erdogan"} <= targets
    for target in targets:
        assert not re.search(r"al-Qaida|al-Qaeda|Morsi|\bUN\b", target), target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("قال ماهر الأسد", "Maher al-Assad"),
        ("وصلت أسماء الأسد", "Asma al-Assad"),
        ("قال سيف الإسلام القذافي", "Saif al-Islam Gaddafi"),
    ],
)
def test_family_members_are_not_spoiled_by_the_surname(
    matcher: Matcher, text: str, target: str
) -> None:
    assert _targets(matcher, text) == [target]


@pytest.mark.parametrize(
    ("text", "applied", "skipped"),
    [
        ("أدى المصلون صلاة المغرب في المسجد.", [], ["Morocco"]),
        ("زار الملك المغرب أمس.", ["Morocco"], []),
        ("قال وزير خارجية عمان إن المحادثات بناءة.", [], ["Amman"]),
        ("وصل الوفد إلى عمان أمس.", ["Amman"], []),
        ("تقع القاعدة الروسية في حميميم.", [], ["al Qaeda"]),
        ("شن الطيران غارات على مواقع القاعدة في حلب.", ["al Qaeda"], []),
        ("الطائرات تدمر مواقع المسلحين.", [], ["Palmyra"]),
        ("اندلعت معارك قرب تدمر.", ["Palmyra"], []),
        ("استقبل الجمهور الخطاب بحماس.", [], ["Hamas"]),
        ("يقيم الأسد في حديقة الحيوان منذ عامين.", [], ["Assad"]),
        ("تلقى النظام دعماً روسياً كبيرا.", [], ["Russia"]),
        ("نقلت مصادر سورية عن مسؤول قوله إن الوضع هادئ.", [], ["Syria"]),
        ("اخترقت الطائرات الأجواء السورية.", [], []),  # a guard: neither hit nor skipped
        ("قال الأسد إن سورية لن تتراجع.", ["Assad", "Syria"], []),
    ],
)
def test_ambiguous_terms_apply_only_where_they_are_the_name(
    matcher: Matcher, text: str, applied: list[str], skipped: list[str]
) -> None:
    hits, skips = plan_hits(text, matcher.find(text), exclude_clitics=False)
    assert set(applied) <= {hit.target for hit in hits}
    assert [skip.target_term for skip in skips] == skipped
    assert not {hit.target for hit in hits} & set(skipped)
    assert all(skip.reason for skip in skips)


def test_guards_are_not_hits(matcher: Matcher) -> None:
    text = "اخترقت الطائرات الأجواء السورية بحماس، وقرب القاعدة الجوية."
    assert {"Syrian", "air base"} <= set(_targets(matcher, text))  # the matcher sees them
    hits, skips = plan_hits(text, matcher.find(text), exclude_clitics=False)
    assert [hit.target for hit in hits] == []  # enforcement forces none of them
    assert [skip.target_term for skip in skips] == ["Hamas"]


RULES_YAML = """\
name: rules
terms:
  - source: الكرملين
    target: Kremlin
    kind: place
    article: the
  - source: المغرب
    target: Morocco
    kind: place
    skip_when: ["صلاة *"]
  - source: تدمر
    target: Palmyra
    kind: place
    apply_when: ["قرب *"]
    ambiguous: true
  - source: السورية
    target: Syrian
    guard: true
"""


def test_article_and_context_fields_are_read_with_defaults_by_kind() -> None:
    glossary = parse_glossary(RULES_YAML, "rules.yaml")
    kremlin, morocco, palmyra, guard = glossary.terms
    assert (kremlin.article_rule, morocco.article_rule, guard.article_rule) == (
        "the",
        "none",  # a place without a rule takes no article
        "model",  # other kinds follow the plain translation
    )
    assert morocco.skip_when == ("صلاة *",)
    assert (palmyra.apply_when, palmyra.ambiguous, guard.guard) == (("قرب *",), True, True)
    assert parse_glossary(dump_glossary(glossary), "again.yaml").terms == glossary.terms


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    article: an", "article 'an' is not one of the, none, model"),
        ('    skip_when: ["صلاة"]', "skip_when pattern 'صلاة': write the Arabic words"),
        ("    guard: maybe", "guard must be true or false"),
    ],
)
def test_broken_rules_are_reported(line: str, message: str) -> None:
    text = RULES_YAML.replace("    kind: place\n    article: the", "    kind: place\n" + line)
    with pytest.raises(GlossaryError, match=message):
        parse_glossary(text, "rules.yaml")
