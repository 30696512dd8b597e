"""HTML in, HTML out: extract() and rebuild() (tarjama.server.translate.markup)."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tarjama.glossary.matcher import Matcher
from tarjama.server.translate.engine import EncodedSource, Engine, EngineOptions, EngineResult
from tarjama.server.translate.html import translate_html
from tarjama.server.translate.markup import (
    BLOCK_SEPARATOR,
    MarkupDocument,
    SpanLink,
    extract,
    needs_alignment,
    rebuild,
    rebuild_mapped,
)
from tarjama.server.translate.markup_parse import VOID_ELEMENTS
from tarjama.server.translate.pipeline import Pipeline, PipelineOptions
from tarjama.server.translate.segment import segment

# A news page as sites serve it: navigation, share buttons, a figure with a caption, a
# link inside a sentence, a quoted name inside <strong>, entities, comments, scripts.
NEWS_PAGE = """<!DOCTYPE html>
<html dir="rtl" lang="ar">
<head>
  <meta charset="utf-8">
  <title>بوتين وكيري يبحثان الأزمة السورية &amp; الملف النووي</title>
  <style>.share a { color: #333; } /* عربي */</style>
  <script>var label = "مشاركة"; if (a < b && c > d) { run(); }</script>
</head>
<body>
  <!-- header -->
  <nav class="menu"><ul>
    <li><a href="/">الرئيسية</a></li>
    <li><a href="/world?a=1&amp;b=2">العالم</a></li>
  </ul></nav>
  <article>
    <h1 class="title">بوتين يستقبل كيري في موسكو</h1>
    <figure><img src="/p.jpg" alt="بوتين وكيري">
      <figcaption>الرئيس الروسي مع الوزير الأمريكي</figcaption></figure>
    <p>التقى <b>بوتين</b> مع <a href="/kerry" title="كيري">جون كيري</a> في موسكو.</p>
    <p>وقال <strong>«سيرغي لافروف»</strong> إن المحادثات كانت &quot;بناءة&quot;&nbsp;جدا.</p>
    <p>اكتب <code>tarjama --help</code> ثم <span class="notranslate">Tarjama</span> فقط.</p>
    <pre>سطر   محفوظ</pre>
    <div translate="no">نص لا يترجم</div>
  </article>
  <div class="share"><button>مشاركة :</button> <a href="https://t.example/share">تويتر</a></div>
</body>
</html>
"""


def _identity_links(document: MarkupDocument) -> tuple[list[SpanLink], list[SpanLink]]:
    """Sentence pairs and word alignment of the text translated into itself."""
    pairs = [(s.start, s.end, s.start, s.end) for s in segment(document.text)]
    words = [(m.start(), m.end(), m.start(), m.end()) for m in re.finditer(r"\S+", document.text)]
    return pairs, words


def _flipped(page: str) -> str:
    return page.replace('dir="rtl"', 'dir="ltr"').replace('lang="ar"', 'lang="en"')


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.starts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.starts.append(tag)
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def _check_balanced(page: str) -> list[str]:
    """The start tags of a page, after asserting that every element is closed in order."""
    checker = _Balance()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    return checker.starts


def test_text_is_blocks_of_plain_text_with_inline_offsets() -> None:
    document = extract('<p>التقى <b>بوتين</b> مع <a href="/k">جون&nbsp;كيري</a>.</p><p>ثانية</p>')
    assert document.text == "التقى بوتين مع جون\u00a0كيري." + BLOCK_SEPARATOR + "ثانية"
    bold, link = document.blocks[0].elements
    assert document.text[bold.start : bold.end] == "بوتين"
    assert (bold.open_tag, bold.close_tag) == ("<b>", "</b>")
    assert document.text[link.start : link.end] == "جون\u00a0كيري"
    assert link.open_tag == '<a href="/k">'


def test_news_page_text_leaves_out_untouched_elements_and_markup() -> None:
    document = extract(NEWS_PAGE)
    assert "بوتين وكيري يبحثان الأزمة السورية & الملف النووي" in document.text
    assert '"بناءة"\u00a0جدا' in document.text
    for untouched in ('مشاركة"', "#333", "tarjama --help", "Tarjama", "سطر", "نص لا يترجم"):
        assert untouched not in document.text
    # Attributes stay as written: the image's alt text is not in the text.
    assert document.text.count("بوتين وكيري") == document.text.count("بوتين وكيري يبحثان")
    # Blocks bound sentences: the button and the link beside it are separate.
    assert {"مشاركة :", "تويتر", "الرئيسية"} <= set(document.text.split(BLOCK_SEPARATOR))


def test_identity_translation_reproduces_the_page_but_for_dir_and_lang() -> None:
    document = extract(NEWS_PAGE)
    pairs, words = _identity_links(document)
    expected = _flipped(NEWS_PAGE).replace("&quot;", '"')  # entities are written minimally
    assert rebuild(document, document.text, pairs, words) == expected
    # Without any alignment the relative positions put every tag back where it was too.
    assert rebuild(document, document.text, pairs, []) == expected


def test_inline_elements_go_around_the_aligned_words() -> None:
    document = extract('<p>التقى <b>بوتين</b> مع <a href="/k">جون كيري</a> في موسكو.</p>')
    translation = "Putin met with John Kerry in Moscow."
    source_words = [(m.start(), m.end()) for m in re.finditer(r"\S+", document.text)]
    target_words = [(m.start(), m.end()) for m in re.finditer(r"\S+", translation)]
    # التقى→met, بوتين→Putin, مع→with, جون→John, كيري→Kerry, في→in, موسكو.→Moscow.
    order = [1, 0, 2, 3, 4, 5, 6]
    alignment = [(*source_words[i], *target_words[j]) for i, j in enumerate(order)]
    pair = [(0, len(document.text), 0, len(translation))]
    assert rebuild(document, translation, pair, alignment) == (
        '<p><b>Putin</b> met with <a href="/k">John Kerry</a> in Moscow.</p>'
    )


def test_without_alignment_tags_keep_whole_sentences_or_the_nearest_words() -> None:
    document = extract('<ul><li><a href="/">الرئيسية</a></li></ul><p>قال <b>الرئيس</b> أمس</p>')
    home = document.blocks[0]
    sentence = document.blocks[1]
    translation = "Home" + BLOCK_SEPARATOR + "The president said yesterday"
    pairs = [(home.start, home.end, 0, 4), (sentence.start, sentence.end, 6, len(translation))]
    output = rebuild(document, translation, pairs, [])
    assert output.startswith('<ul><li><a href="/">Home</a></li></ul>')
    bold = re.search(r"<b>(.*?)</b>", output)
    assert bold is not None and bold.group(1) in ("president", "president said", "said")
    _check_balanced(output)


def test_untouched_elements_are_written_verbatim() -> None:
    document = extract(NEWS_PAGE)
    pairs = [(b.start, b.end, b.start, b.start + 1) for b in document.blocks]
    output = rebuild(document, "x" * len(document.text), pairs, [])
    for verbatim in (
        "<style>.share a { color: #333; } /* عربي */</style>",
        '<script>var label = "مشاركة"; if (a < b && c > d) { run(); }</script>',
        "<code>tarjama --help</code>",
        '<span class="notranslate">Tarjama</span>',
        "<pre>سطر   محفوظ</pre>",
        '<div translate="no">نص لا يترجم</div>',
        "<!-- header -->",
        "<!DOCTYPE html>",
        '<img src="/p.jpg" alt="بوتين وكيري">',
        '<a href="/world?a=1&amp;b=2">',
    ):
        assert verbatim in output
    assert "الرئيسية" not in output  # translated text is replaced
    assert _check_balanced(output) == _check_balanced(NEWS_PAGE)


def test_dir_and_lang_become_ltr_and_en_outside_untouched_elements() -> None:
    page = (
        '<html DIR=RTL lang=\'ar-SA\'><p dir="rtl" data-dir="rtl" xml:lang=ar class=x>نص</p>'
        '<p lang="fr" dir="auto">نص</p><code dir="rtl" lang="ar">كود</code></html>'
    )
    document = extract(page)
    pairs, words = _identity_links(document)
    assert rebuild(document, document.text, pairs, words) == (
        '<html DIR=ltr lang=\'en\'><p dir="ltr" data-dir="rtl" xml:lang=en class=x>نص</p>'
        '<p lang="fr" dir="auto">نص</p><code dir="rtl" lang="ar">كود</code></html>'
    )


def test_unclosed_and_stray_tags_lose_nothing() -> None:
    page = "<div><p>قال <b>الرئيس <i>بوتين</p><p>ثانية <em>هنا</div></> بعد"
    document = extract(page)
    assert document.text.split(BLOCK_SEPARATOR) == ["قال الرئيس بوتين", "ثانية هنا", "بعد"]
    pairs, words = _identity_links(document)
    output = rebuild(document, document.text, pairs, words)
    # The implied end tags are written; everything else is as it was.
    assert output == "<div><p>قال <b>الرئيس <i>بوتين</i></b></p><p>ثانية <em>هنا</em></div></> بعد"


def test_an_inline_element_across_blocks_keeps_its_one_start_and_end_tag() -> None:
    document = extract("<p><b>أولا<br>ثانيا</b> بعد</p><p><i>مفتوح")
    first, second, third = document.blocks
    translation = BLOCK_SEPARATOR.join(["first", "second after", "open"])
    pairs = [(first.start, first.end, 0, 5), (second.start, second.end, 7, 19)]
    pairs.append((third.start, third.end, 21, 25))
    output = rebuild(document, translation, pairs, [])
    assert output == "<p><b>first<br>second</b> after</p><p><i>open</i>"


def test_a_point_inside_a_sentence_keeps_its_spaces() -> None:
    document = extract('<p>صورة <img src="a.png"> هنا<!-- c --></p>')
    assert document.text == "صورة  هنا"  # whitespace runs do not join across a point
    translation = "picture here"
    output = rebuild(document, translation, [(0, len(document.text), 0, 12)], [(0, 4, 0, 7)])
    assert output == '<p>picture <img src="a.png"> here<!-- c --></p>'
    # Without alignment: at the nearest word's end, the spaces as in the source.
    output = rebuild(document, "a picture here", [(0, len(document.text), 0, 14)], [])
    assert output == '<p>a picture <img src="a.png"> here<!-- c --></p>'


def test_spans_map_into_the_html_source_and_output() -> None:
    page = '<p dir="rtl">قال &quot;كيري&quot; <b>أمس</b></p>'
    document = extract(page)
    start = document.text.index('"كيري"')
    source_start, source_end = document.html_span(start, start + 6)
    assert page[source_start:source_end] == "&quot;كيري&quot;"
    translation = 'Kerry said "yes" <now>'
    pairs = [(0, len(document.text), 0, len(translation))]
    rebuilt = rebuild_mapped(document, translation, pairs, [(start, start + 6, 11, 16)])
    out_start, out_end = rebuilt.html_span(17, 22)
    assert rebuilt.html[out_start:out_end] == "&lt;now&gt;"
    assert rebuilt.html.startswith('<p dir="ltr">Kerry said')


@pytest.mark.parametrize("seed", range(20))
def test_any_alignment_gives_balanced_output_with_every_tag(seed: int) -> None:
    """Random translations with shuffled, partial alignments: tags are never lost or crossed."""
    rng = random.Random(seed)
    document = extract(NEWS_PAGE)
    pairs: list[SpanLink] = []
    alignment: list[SpanLink] = []
    parts: list[str] = []
    length = 0
    for block in document.blocks:
        if parts:
            parts.append(BLOCK_SEPARATOR)
            length += len(BLOCK_SEPARATOR)
        sources = list(re.finditer(r"\S+", document.text[block.start : block.end]))
        targets = [f"w{rng.randrange(100)}" for _ in range(rng.randint(1, len(sources) + 2))]
        text = " ".join(targets)
        starts = [m.start() for m in re.finditer(r"\S+", text)]
        for word in sources:
            if rng.random() < 0.7:
                t = rng.randrange(len(targets))
                s = block.start + word.start()
                alignment.append(
                    (
                        s,
                        s + len(word.group()),
                        length + starts[t],
                        length + starts[t] + len(targets[t]),
                    )
                )
        pairs.append((block.start, block.end, length, length + len(text)))
        parts.append(text)
        length += len(text)
    translation = "".join(parts)
    output = rebuild(document, translation, pairs, alignment)
    assert sorted(_check_balanced(output)) == sorted(_check_balanced(NEWS_PAGE))
    assert re.findall(r"w\d+", re.sub(r"<[^>]*>", "", output)) == re.findall(r"w\d+", translation)


def test_a_page_through_the_pipeline_keeps_its_tags_around_the_names(test_model_dir: Path) -> None:
    page = (
        '<html dir="rtl" lang="ar"><body><h1>التقى <b>فلاديمير بوتين</b> وليد المعلم في حمص '
        'أمس.</h1><p>يعقد <a href="/lavrov">لافروف</a> وكيري جلسة محادثات في <strong>جنيف'
        "</strong> اليوم.</p><p>أسقط تنظيم «داعش» مروحية روسية قرب <i>تدمر</i> قبل أيام."
        '<img src="h.jpg"></p></body></html>'
    )
    document = extract(page)
    # float32: the same translation and alignment on every CPU.
    engine = Engine(test_model_dir, EngineOptions(compute_type="float32"))
    result = Pipeline(model_name="test").translate(
        document.text,
        translator=engine,
        matcher=Matcher([]),
        options=PipelineOptions(include_alignment=True),
    )
    pairs = [
        (p.source_span.start, p.source_span.end, p.target_span.start, p.target_span.end)
        for p in result.sentences
    ]
    alignment = [
        (link.source.start, link.source.end, link.target.start, link.target.end)
        for pair in result.sentences
        for link in pair.alignment
    ]
    output = rebuild(document, result.translation, pairs, alignment)
    for tagged in (
        "<b>Vladimir Putin</b>",
        '<a href="/lavrov">Lavrov</a>',
        "<strong>Geneva</strong>",
        "<i>Palmyra</i>",
    ):
        assert tagged in output
    assert output.startswith('<html dir="ltr" lang="en"><body><h1>')
    assert _check_balanced(output) == _check_balanced(page)
    assert re.sub(r"<[^>]*>", "", output) == result.translation.replace(BLOCK_SEPARATOR, "")


@pytest.mark.parametrize(
    ("page", "needed"),
    [
        ("<p>قال الرئيس إن المحادثات مستمرة.</p>", False),
        ('<ul><li><a href="/">الرئيسية</a></li></ul><p><strong>خبر عاجل</strong></p>', False),
        ("<p><b>قال الرئيس<br>إن المحادثات مستمرة.</b></p>", False),  # a whole block each
        ('<p>قال <a href="/p">الرئيس</a> إن المحادثات مستمرة.</p>', True),
        ("<p>قال الرئيس <b>إن المحادثات</b></p>", True),
        ('<p>قال الرئيس<img src="p.jpg"> إن المحادثات مستمرة.</p>', True),
        ("<p>قال الرئيس<!-- ref --> إن المحادثات مستمرة.</p>", True),
    ],
)
def test_the_alignment_is_needed_only_for_tags_inside_a_block(page: str, needed: bool) -> None:
    assert needs_alignment(extract(page)) is needed


class _RecordingTranslator:
    """An Engine that records whether each call asked for the word alignment."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.aligned: list[bool] = []

    def encode(self, text: str) -> EncodedSource:
        return self.engine.encode(text)

    def encode_target(self, text: str) -> list[str]:
        return self.engine.encode_target(text)

    def translate_batch(
        self, sources: Sequence[str | EncodedSource], **options: Any
    ) -> list[EngineResult]:
        self.aligned.append(bool(options.get("with_alignment")))
        return self.engine.translate_batch(sources, **options)


@pytest.mark.parametrize(
    ("page", "aligned"),
    [
        ('<p>وصل <a href="/k">كيري</a> إلى موسكو أمس.</p><p>وقال إن المحادثات مفيدة.</p>', True),
        ('<p><a href="/k">وصل كيري إلى موسكو أمس.</a></p><p>وقال إن المحادثات مفيدة.</p>', False),
    ],
)
def test_a_page_asks_the_model_for_the_alignment_only_where_a_tag_needs_it(
    test_model_dir: Path, page: str, aligned: bool
) -> None:
    translator = _RecordingTranslator(Engine(test_model_dir, EngineOptions(compute_type="float32")))
    # No glossary and no document terms: nothing else in the pipeline asks for it.
    options = PipelineOptions(document_terms=False)
    result = translate_html(
        Pipeline(model_name="test"),
        page,
        translator=translator,
        matcher=Matcher([]),
        options=options,
    )

    assert translator.aligned == [aligned]
    assert result.translation.count('<a href="/k">') == 1
    assert result.translation.count("</a>") == 1
    assert all(pair.alignment == () for pair in result.sentences)
    for pair in result.sentences:
        source = page[pair.source_span.start : pair.source_span.end]
        assert re.sub(r"<[^>]*>", "", source) == pair.source
