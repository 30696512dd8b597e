"""Sentence segmentation: terminators, quotes, numbers, abbreviations, lines, long sentences."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tarjama.glossary import Glossary, Matcher, Term
from tarjama.server.translate.segment import Sentence, segment

SEED = Path(__file__).parents[1] / "seeds" / "000_5cb57f188978d242.txt"


def sentence_texts(text: str, **options: int) -> list[str]:
    return [text[s.start : s.end] for s in segment(text, **options)]


@pytest.fixture(scope="module")
def seed() -> tuple[str, list[Sentence]]:
    text = SEED.read_text(encoding="utf-8")
    return text, segment(text)


def test_seed_article_sentence_count_and_paragraphs(seed: tuple[str, list[Sentence]]) -> None:
    _, sentences = seed
    assert len(sentences) == 19
    assert [s.paragraph for s in sentences] == [0] * 18 + [1]
    assert all(s.has_arabic for s in sentences)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        pytest.param(
            0,
            "أجرى الرئيس الروسي فلاديمير بوتين جولة محادثات أمس مع وزير الخارجية الأميركي جون "
            "كيري شارك فيها نظيره الروسي سيرغي لافروف، وأعلن الكرملين أنها ركّزت على الملفين "
            "السوري والأوكراني، وسط معطيات عن تداول الطرفين في «مقترحات أميركية جديدة» تصب في "
            "تعزيز التنسيق في الأجواء السورية، وتأسيس غرفة عمليات مشتركة مقرها عمّان للإشراف "
            "على استهداف تنظيم «داعش» و «جبهة النصرة» في سورية.",
            id="first",
        ),
        pytest.param(6, "ورفض كيري التعليق عندما سئل عن هذا التقرير.", id="short"),
        pytest.param(
            7,
            "وقال «سأدلي بتصريحات... سأذهب إلى موسكو وألتقي بالرئيس بوتين، سيكون لدينا وقتاً "
            "كافياً للحديث عن ذلك وسأشرح لكم جميعاً أين نقف».",
            id="ellipsis-inside-quote",
        ),
        pytest.param(
            8,
            "وقال مسؤول كبير في الخارجية الأميركية لـ «رويترز» إن كيري سيناقش كيفية التعامل مع "
            "التنظيمات الإرهابية وجهود الحد من العنف والسماح بوصول المساعدات الإنسانية وسبل "
            "التحرك نحو الانتقال السياسي، و «في الوقت الراهن لا ننفذ أو ننسق لعمليات عسكرية مع "
            "روسيا. وليس واضحاً ما إذا كنا سنصل لاتفاق في هذه الشأن».",
            id="full-stop-inside-quote",
        ),
        pytest.param(
            12,
            "ونقلت «رويترز» عن مسؤول استخبارات أميركي: «ليس واضحاً لماذا يعتقد وزير الخارجية أنه "
            "يستطيع إقناع الروس بدعم أهداف الإدارة في سورية (...) كيري يتجاهل أن الروس "
            "وحلفاءهم من السوريين لم يميزوا بين قصف داعش وقتل أعضاء من المعارضة المعتدلة ومنهم "
            "بعض الأشخاص الذين دربناهم».",
            id="elision-inside-quote",
        ),
        pytest.param(
            13,
            "وتساءل: «لماذا نتبادل المعلومات الخاصة بالاستخبارات والاستهداف مع الأشخاص الذين "
            "فعلوا ذلك؟»",
            id="question-mark-then-closing-quote",
        ),
        pytest.param(18, "مشاركة :", id="share-line"),
    ],
)
def test_seed_article_sentences(
    seed: tuple[str, list[Sentence]], index: int, expected: str
) -> None:
    text, sentences = seed
    assert text[sentences[index].start : sentences[index].end] == expected


def test_seed_article_is_covered_with_only_whitespace_between_sentences(
    seed: tuple[str, list[Sentence]],
) -> None:
    text, sentences = seed
    position = 0
    for sentence in sentences:
        assert text[position : sentence.start].strip() == ""
        assert text[sentence.start : sentence.end] == text[sentence.start : sentence.end].strip()
        position = sentence.end
    assert text[position:].strip() == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "قال الوزير إن الوضع صعب. وأضاف أن الحل قريب.",
            ["قال الوزير إن الوضع صعب.", "وأضاف أن الحل قريب."],
            id="full-stop",
        ),
        pytest.param(
            "هل انتهت الحرب؟ لا أحد يعرف! ربما? نعم",
            ["هل انتهت الحرب؟", "لا أحد يعرف!", "ربما?", "نعم"],
            id="question-exclamation",
        ),
        pytest.param(
            "رفض الوزير التعليق؛ فالمفاوضات مستمرة. وقال; لن نعلق",
            ["رفض الوزير التعليق؛ فالمفاوضات مستمرة.", "وقال; لن نعلق"],
            id="semicolons-join-clauses",
        ),
        pytest.param("هل هذا معقول؟! قالها غاضباً", ["هل هذا معقول؟!", "قالها غاضباً"], id="run"),
        pytest.param(
            "قال «لن نتراجع... أبداً» ثم غادر.",
            ["قال «لن نتراجع... أبداً» ثم غادر."],
            id="ellipsis-in-guillemets",
        ),
        pytest.param(
            'قال "لن نتراجع… أبداً" ثم غادر.',
            ['قال "لن نتراجع… أبداً" ثم غادر.'],
            id="ellipsis-in-quotes",
        ),
        pytest.param(
            "قال “لن نتراجع... أبداً” ثم غادر.", ["قال “لن نتراجع... أبداً” ثم غادر."], id="curly"
        ),
        pytest.param(
            "انتظر الجميع... ثم بدأ الاجتماع. وانتهى",
            ["انتظر الجميع... ثم بدأ الاجتماع.", "وانتهى"],
            id="ellipsis-outside-quotes-is-a-pause",
        ),
        pytest.param(
            "ارتفعت الأسعار… والرواتب ثابتة",
            ["ارتفعت الأسعار… والرواتب ثابتة"],
            id="ellipsis-character",
        ),
        pytest.param(
            "ونقلت الوكالة ذلك... Reuters said more",
            ["ونقلت الوكالة ذلك...", "Reuters said more"],
            id="ellipsis-then-capital-letter",
        ),
        pytest.param(
            "قال «لن نتراجع...» ثم غادر.",
            ["قال «لن نتراجع...» ثم غادر."],
            id="ellipsis-ending-a-quotation",
        ),
        pytest.param(
            "قال الوزير: «الوضع صعب. لكننا سنصمد» ثم غادر. وانتهى",
            ["قال الوزير: «الوضع صعب. لكننا سنصمد» ثم غادر.", "وانتهى"],
            id="full-stop-inside-guillemets",
        ),
        pytest.param(
            "قال “هل انتهى؟ لا أظن” وغادر.",
            ["قال “هل انتهى؟ لا أظن” وغادر."],
            id="question-mark-inside-curly-quotes",
        ),
        pytest.param(
            'قال "نعم. سنفعل" ثم سكت',
            ['قال "نعم. سنفعل" ثم سكت'],
            id="full-stop-inside-straight-quotes",
        ),
        pytest.param(
            '"هل انتهى؟" سأل الصحافي. فأجاب الوزير',
            ['"هل انتهى؟" سأل الصحافي.', "فأجاب الوزير"],
            id="reporting-clause-after-a-quotation",
        ),
        pytest.param(
            "«لن نتراجع.» قال الوزير",
            ["«لن نتراجع.» قال الوزير"],
            id="reporting-clause-after-guillemets",
        ),
        pytest.param(
            "قال «لن نتراجع. وغادر القاعة",
            ["قال «لن نتراجع.", "وغادر القاعة"],
            id="unclosed-quotation-changes-nothing",
        ),
        pytest.param(
            "زار الوزير رُوسْيَا. ثم عاد إلى سُورِيَةَ.وقال",
            ["زار الوزير رُوسْيَا.", "ثم عاد إلى سُورِيَةَ.", "وقال"],
            id="fully-vocalised-words",
        ),
        pytest.param(
            "بنيت المدينة عام 300 ق.م. وازدهرت في القرن الثاني ق. م. ثم انهارت",
            ["بنيت المدينة عام 300 ق.م.", "وازدهرت في القرن الثاني ق. م.", "ثم انهارت"],
            id="before-christ",
        ),
        pytest.param(
            "وأضاف أن الوضع (...) لا يحتمل التأجيل.",
            ["وأضاف أن الوضع (...) لا يحتمل التأجيل."],
            id="elision-outside-quotes",
        ),
        pytest.param(
            "قال «انتهى الأمر.» وغادر. ثم عاد",
            ["قال «انتهى الأمر.»", "وغادر.", "ثم عاد"],
            id="closing-quote-after-full-stop",
        ),
        pytest.param(
            'سأله: "هل انتهى؟" فأجاب: "نعم". ثم سكت',
            ['سأله: "هل انتهى؟"', 'فأجاب: "نعم".', "ثم سكت"],
            id="straight-quotes",
        ),
        pytest.param(
            "ارتفع المؤشر 3.5 في المئة. وتراجع النفط 0.75 دولار",
            ["ارتفع المؤشر 3.5 في المئة.", "وتراجع النفط 0.75 دولار"],
            id="decimals",
        ),
        pytest.param(
            "وقع الاتفاق في 12.05.2015 في فيينا. ثم نشر على www.example.com اليوم",
            ["وقع الاتفاق في 12.05.2015 في فيينا.", "ثم نشر على www.example.com اليوم"],
            id="dates-and-addresses",
        ),
        pytest.param(
            "وقع الاتفاق عام 2015. ثم انهار",
            ["وقع الاتفاق عام 2015.", "ثم انهار"],
            id="year-ends-sentence",
        ),
        pytest.param(
            "ولد عام 1963م. وتوفي عام 1436 هـ. ودفن في مكة",
            ["ولد عام 1963م.", "وتوفي عام 1436 هـ.", "ودفن في مكة"],
            id="era-markers",
        ),
        pytest.param(
            "قال د. محمد البرادعي إن أ. د. علي حاضر",
            ["قال د. محمد البرادعي إن أ. د. علي حاضر"],
            id="arabic-abbreviations",
        ),
        pytest.param(
            "اغتيل جون ف. كينيدي عام 1963. وكتبت J. K. Rowling رواية",
            ["اغتيل جون ف. كينيدي عام 1963.", "وكتبت J. K. Rowling رواية"],
            id="initials",
        ),
        pytest.param(
            "التقى Dr. Smith مع Mr. Jones في U.S. أمس",
            ["التقى Dr. Smith مع Mr. Jones في U.S. أمس"],
            id="latin-abbreviations",
        ),
        pytest.param(
            "1. وقف إطلاق النار\n2. إدخال المساعدات",
            ["1. وقف إطلاق النار", "2. إدخال المساعدات"],
            id="list-numbers",
        ),
        pytest.param(
            "لن يبقى الأسد.وقال المسؤول إن الحل سياسي؟وأضاف",
            ["لن يبقى الأسد.", "وقال المسؤول إن الحل سياسي؟", "وأضاف"],
            id="missing-space-after-terminator",
        ),
        pytest.param(
            "قال «مرحباً» في سورية»، ثم غادر.",
            ["قال «مرحباً» في سورية»، ثم غادر."],
            id="stray-closing-guillemet",
        ),
    ],
)
def test_sentence_rules(text: str, expected: list[str]) -> None:
    assert sentence_texts(text) == expected


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        ("الفقرة الأولى. جملة ثانية\nالفقرة الثانية", [0, 0, 1]),
        ("الفقرة الأولى\r\nالفقرة الثانية", [0, 1]),
        ("الفقرة الأولى\u2029الفقرة الثانية", [0, 1]),
        ("الفقرة الأولى\n\n\n   \nالفقرة الثانية\n", [0, 1]),
        ("\n\nالفقرة الأولى بلا نقطة\nمشاركة :", [0, 1]),
    ],
)
def test_line_breaks_end_sentences_and_paragraphs(text: str, paragraphs: list[int]) -> None:
    assert [s.paragraph for s in segment(text)] == paragraphs


@pytest.mark.parametrize(
    ("text", "has_arabic"),
    [
        ("2015", [False]),
        ("٢٠١٥ - 12.5", [False]),
        ("www.example.com", [False]),
        ("Reuters. رويترز", [False, True]),
        ("مشاركة :", [True]),
    ],
)
def test_sentences_without_arabic_letters_are_flagged(text: str, has_arabic: list[bool]) -> None:
    assert [s.has_arabic for s in segment(text)] == has_arabic


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \u2029 "])
def test_empty_text_has_no_sentences(text: str) -> None:
    assert segment(text) == []


LONG_WITH_COMMAS = (
    "وقال مسؤول كبير في الخارجية إن الوزير سيناقش كيفية التعامل مع التنظيمات الإرهابية، "
    "وجهود الحد من العنف والسماح بوصول المساعدات الإنسانية، وسبل التحرك نحو الانتقال "
    "السياسي، وتبادل المعلومات لتحديد أهداف القيادة ومعسكرات التدريب وخطوط الإمداد."
)


@pytest.mark.parametrize("max_chars", [60, 100, 150, 200])
def test_long_sentences_are_cut_within_the_limit(max_chars: int) -> None:
    sentences = segment(LONG_WITH_COMMAS, max_chars=max_chars)
    assert len(sentences) > 1
    assert all(s.end - s.start <= max_chars for s in sentences)
    joined = " ".join(LONG_WITH_COMMAS[s.start : s.end] for s in sentences)
    assert joined == LONG_WITH_COMMAS


@pytest.mark.parametrize(
    ("text", "max_chars", "first_piece"),
    [
        pytest.param(
            LONG_WITH_COMMAS,
            150,
            "وقال مسؤول كبير في الخارجية إن الوزير سيناقش كيفية التعامل مع التنظيمات "
            "الإرهابية، وجهود الحد من العنف والسماح بوصول المساعدات الإنسانية،",
            id="last-arabic-comma-that-fits",
        ),
        pytest.param(
            "the first clause is here; and the second follows it with more words than fit",
            40,
            "the first clause is here;",
            id="semicolon",
        ),
        pytest.param(
            "تناولت المحادثات التعاون العسكري وتبادل المعلومات وتنسيق الضربات الجوية",
            50,
            "تناولت المحادثات التعاون العسكري وتبادل المعلومات",
            id="conjunction-waw",
        ),
        pytest.param(
            "تناولت المحادثات التعاون العسكري بين البلدين في مجال مكافحة الإرهاب",
            40,
            "تناولت المحادثات التعاون العسكري بين",
            id="any-space",
        ),
        pytest.param("ب" * 30, 12, "ب" * 12, id="no-space-at-all"),
        pytest.param("بَ" * 10, 5, "بَبَ", id="diacritic-stays-with-its-letter"),
        pytest.param(
            "بلغ عدد السكان 1,000,000 نسمة وفق آخر تعداد رسمي للسكان",
            30,
            "بلغ عدد السكان 1,000,000 نسمة",
            id="no-cut-inside-a-number",
        ),
    ],
)
def test_long_sentences_are_cut_at_the_best_clause_boundary(
    text: str, max_chars: int, first_piece: str
) -> None:
    assert sentence_texts(text, max_chars=max_chars)[0] == first_piece


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_chars must be at least 1, not 0"):
        segment("نص", max_chars=0)


@pytest.mark.parametrize("semicolon", ["؛", ";"])
def test_semicolons_are_the_first_clause_cut_of_a_long_sentence(semicolon: str) -> None:
    text = f"أولاً، ثانياً، ثالثاً{semicolon} رابعاً، خامساً، سادساً، سابعاً، ثامناً"
    assert sentence_texts(text, max_chars=50)[0] == f"أولاً، ثانياً، ثالثاً{semicolon}"


def test_a_long_sentence_is_cut_first_where_a_quotation_ends_a_sentence() -> None:
    quotation = "«قررنا وقف العمليات، في الشمال. وسنواصل المفاوضات، في الجنوب»"
    text = f"وقال الوزير: {quotation} ثم غادر"
    first, second = sentence_texts(text, max_chars=60)
    assert first == "وقال الوزير: «قررنا وقف العمليات، في الشمال."
    assert second == "وسنواصل المفاوضات، في الجنوب» ثم غادر"


def name_span(text: str, name: str = "جون\nكيري") -> tuple[int, int]:
    start = text.index(name)
    return start, start + len(name)


def test_a_line_break_inside_a_kept_span_ends_neither_sentence_nor_paragraph() -> None:
    text = "زار جون\nكيري موسكو. ثم عاد\nسطر آخر"
    assert sentence_texts(text) == ["زار جون", "كيري موسكو.", "ثم عاد", "سطر آخر"]
    sentences = segment(text, keep=[name_span(text)])
    assert [text[s.start : s.end] for s in sentences] == [
        "زار جون\nكيري موسكو.",
        "ثم عاد",
        "سطر آخر",
    ]
    assert [s.paragraph for s in sentences] == [0, 0, 1]


def cuts_inside(spans: list[tuple[int, int]], kept: tuple[int, int]) -> list[int]:
    return [edge for span in spans for edge in span if kept[0] < edge < kept[1]]


@pytest.mark.parametrize("keep", [False, True])
def test_a_long_sentence_is_not_cut_inside_a_kept_span(keep: bool) -> None:
    text = "وصل وزير الخارجية الأميركي جون كيري إلى موسكو"
    kept = (text.index("جون"), text.index("جون") + len("جون كيري"))
    keeps = [kept] if keep else []
    inside = [
        cuts_inside([(s.start, s.end) for s in segment(text, max_chars=limit, keep=keeps)], kept)
        for limit in range(12, 30)
    ]
    assert any(inside) != keep  # some cut falls inside the name unless it is kept


def test_sentences_keep_whole_every_hit_the_whole_text_has() -> None:
    # The pipeline matches each sentence; `glossary match` matches the whole text. With the
    # whole text's hits kept, both find the same hits.
    matcher = Matcher(
        [
            (
                "names",
                Glossary("names", (Term(("جون كيري",), "John Kerry"), Term(("كيري",), "Kerry"))),
            )
        ]
    )
    text = "التقى بوتين جون\nكيري، ثم قال كيري إن جون\r\nكيري سيعود.\n\nوغادر جون\nكيري"
    whole = [(m.start, m.end, m.target) for m in matcher.find(text)]
    per_sentence = []
    for sentence in segment(text, max_chars=20, keep=[(m[0], m[1]) for m in whole]):
        source = text[sentence.start : sentence.end]
        per_sentence += [
            (sentence.start + m.start, sentence.start + m.end, m.target)
            for m in matcher.find(source)
        ]
    assert per_sentence == whole
    assert [target for *_, target in whole] == ["John Kerry", "Kerry", "John Kerry", "John Kerry"]


def test_marks_without_a_letter_in_reach_are_cut_among_themselves() -> None:
    # Stepping back to the letter 100,000 marks away made a piece per mark, each scanning
    # max_chars of text: 15 s of segmentation for one request.
    marks = 20_000
    sentences = segment("ب" + "\u064e" * marks, max_chars=400)
    assert len(sentences) <= marks // 400 + 2
    assert all(s.end - s.start <= 400 for s in sentences)


ADVERSARIAL = {
    "marks": lambda n: "ب" + "\u064e" * n,
    "quoted-sentences-and-trailing-space": lambda n: "«" + "نعم. " * (n // 5) + "»" + " " * n,
    "initials": lambda n: "أ." * (n // 2),
    "spaced-era": lambda n: "ق. م. " * (n // 6),
    "ellipses": lambda n: "… " * (n // 2),
    "straight-quotes": lambda n: '"' * n,
    "nested-quotes": lambda n: "«" * (n // 2) + "»" * (n // 2),
    "closers": lambda n: "." + ")" * n,
    "commas": lambda n: "،" * n,
    "list-numbers": lambda n: "1." * (n // 2),
    "wrapped-names": lambda n: "جون\n" * (n // 4),
}


def line_events(text: str, keep: list[tuple[int, int]]) -> int:
    """How many lines of segment.py run while segmenting `text`: work, not time."""
    code_file = segment.__code__.co_filename
    count = 0

    def trace(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if frame.f_code.co_filename != code_file:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        segment(text, max_chars=50, keep=keep)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_segmentation_work_grows_linearly_with_the_text(name: str) -> None:
    def work(n: int) -> int:
        text = ADVERSARIAL[name](n)
        keep = [(m.start(), m.end()) for m in re.finditer(r"جون\nجون", text)]
        return line_events(text, keep)

    small, large = work(1_500), work(6_000)
    assert large <= 4.6 * small, (small, large)
