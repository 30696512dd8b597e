"""The side-by-side HTML page: structure and escaping here, rendering in headless Chromium.

The browser tests load the page with a small harness script that hovers a sentence and a
glossary term and writes what lit up into the DOM (read back with --dump-dom); the
screenshot of the same page must show the term colours in both columns.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tarjama.client import Span, Translation, Translator
from tarjama.client.html_report import render_html
from tarjama.glossary import bundled_glossary_path, load_glossary
from tarjama.results import SentencePair, SkippedTerm, TermHit, WordAlignment
from tests.client_fakes import FakeServer, start_fake_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
WIDTH, HEIGHT = 1200, 800
TERM_COLOUR = (0xFF, 0xF1, 0xB8)  # --term in html_report.html
ACTIVE_TERM_COLOUR = (0xFF, 0xB3, 0x47)  # --term-active
ACTIVE_PAIR_COLOUR = (0xE3, 0xF0, 0xFF)  # --pair-active
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (apt-get install chromium)"
)

HARNESS = """
<script>
(function () {
  function hover(element) {
    element.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
  }
  function lit(className) {
    return Array.from(document.querySelectorAll("." + className)).map(function (element) {
      return { lang: element.closest("p").lang, pair: element.closest(".pair").dataset.pair,
               text: element.textContent };
    });
  }
  var english = document.querySelector('.pair[data-pair="1"] .en');
  var arabic = document.querySelector('.pair[data-pair="1"] .ar');
  var result = {
    arabicDirection: getComputedStyle(arabic).direction,
    arabicAlign: getComputedStyle(arabic).textAlign,
    englishDirection: getComputedStyle(english).direction,
    arabicRightOfEnglish:
      arabic.getBoundingClientRect().left >= english.getBoundingClientRect().right,
    scripts: document.scripts.length
  };
  hover(english);
  result.sentenceHover = { pairIds: Array.from(document.querySelectorAll(".pair-active"))
                                    .map(function (e) { return e.dataset.pair; }),
                           terms: lit("term-active") };
  hover(document.querySelector('.pair[data-pair="0"] .ar mark.term'));
  result.termHover = { pairIds: Array.from(document.querySelectorAll(".pair-active"))
                                .map(function (e) { return e.dataset.pair; }),
                       terms: lit("term-active") };
  var out = document.createElement("pre");
  out.id = "harness-result";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
})();
</script>
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    path = bundled_glossary_path("news")
    assert path is not None
    server = start_fake_server([load_glossary(path)])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def seed_translation(fake: FakeServer, seed_article: str) -> Translation:
    with Translator(fake.address) as client:
        return client.translate(seed_article, request_id="seed")


class _Elements(HTMLParser):
    """Start tags with their attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.tags


def test_page_has_a_row_per_pair_and_a_mark_per_term(seed_translation, seed_article):
    page = render_html(seed_article, seed_translation, title="seed.txt")

    tags = elements(page)
    rows = [attrs for tag, attrs in tags if tag == "div" and attrs.get("data-pair") is not None]
    arabic = [attrs for tag, attrs in tags if tag == "p" and attrs.get("lang") == "ar"]
    marks = [attrs["data-term"] for tag, attrs in tags if tag == "mark"]
    hits = [hit for pair in seed_translation.sentences for hit in pair.term_hits]
    assert len(rows) == len(arabic) == len(seed_translation.sentences)
    assert all(attrs.get("dir") == "rtl" for attrs in arabic)
    assert len(hits) > 10
    # Each term is marked once in the Arabic and once in the English.
    expected = [
        f"t{index}-{number}"
        for index, pair in enumerate(seed_translation.sentences)
        for number in range(len(pair.term_hits))
    ]
    assert sorted(marks) == sorted(expected * 2)


def test_page_loads_nothing_from_outside(seed_translation, seed_article):
    page = render_html(seed_article, seed_translation, title="seed.txt")

    assert not re.search(r"\b(src|href)\s*=", page)
    assert "@import" not in page and "url(" not in page


def test_everything_is_escaped():
    source = 'قال «<script>alert("x")</script>» & كيري'
    target = 'He said "<img src=x onerror=alert(1)>" & Kerry'
    translation = Translation(
        request_id='<b>"id"</b>',
        translation=target,
        sentences=(
            SentencePair(
                source=source,
                target=target,
                source_span=Span(0, len(source)),
                target_span=Span(0, len(target)),
                term_hits=(
                    TermHit(
                        '<g name="x">',
                        "كيري",
                        "Kerry",
                        Span(source.index("كيري"), len(source)),
                        Span(target.index("Kerry"), len(target)),
                        "<m>",
                    ),
                ),
                score=-0.3,
            ),
        ),
        model="<model>",
    )

    page = render_html(source, translation, title="<title> & 'quotes'")

    assert "<script>alert" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;title&gt; &amp; &#x27;quotes&#x27;" in page
    mark = [attrs for tag, attrs in elements(page) if tag == "mark"]
    assert [attrs["title"] for attrs in mark] == ['<g name="x">: كيري → Kerry (<m>)'] * 2


def test_marks_that_cannot_be_drawn_are_left_out():
    source, target = "التقى بوتين كيري", "Putin met Kerry"
    hits = (
        TermHit("news", "بوتين", "Putin", Span(6, 11), Span(0, 5), "inline"),
        TermHit("news", "بوتين", "Putin", Span(6, 11), Span(2, 9), "aligned"),  # crosses
        TermHit("news", "كيري", "Kerry", Span(12, 16), Span(10, 99), "aligned"),  # outside
    )
    translation = Translation(
        "r",
        target,
        (SentencePair(source, target, Span(0, 16), Span(0, 15), hits, score=-0.1),),
        "m",
    )

    page = render_html(source, translation, title="t")

    marks = [attrs["data-term"] for tag, attrs in elements(page) if tag == "mark"]
    # Arabic: بوتين (shared by two hits) and كيري; English: only the first Putin.
    assert marks == ["t0-0", "t0-0 t0-1", "t0-2"]


def test_aligned_words_share_link_ids_across_the_columns():
    source, target = "التقى بوتين كيري", "Putin met Kerry"
    alignment = (
        WordAlignment(Span(0, 5), Span(6, 9)),  # التقى ~ met
        WordAlignment(Span(12, 16), Span(10, 15)),  # كيري ~ Kerry
    )
    hit = TermHit("news", "بوتين", "Putin", Span(6, 11), Span(0, 5), "inline")
    pair = SentencePair(source, target, Span(0, 16), Span(0, 15), (hit,), alignment, -0.1)

    page = render_html(source, Translation("r", target, (pair,), "m"), title="t")

    words = [(attrs["data-links"], text) for tag, attrs, text in spans(page, "span")]
    assert words == [("a0-0", "met"), ("a0-1", "Kerry"), ("a0-0", "التقى"), ("a0-1", "كيري")]
    assert "Putin</mark>" in page  # the term keeps its mark; no word span inside it


def test_a_skipped_term_is_marked_with_its_reason():
    source, target = "صلاة المغرب", "sunset prayer"
    skipped = SkippedTerm("news", "المغرب", "Morocco", Span(5, 11), "a fixed phrase")
    pair = SentencePair(source, target, Span(0, 11), Span(0, 13), skipped_terms=(skipped,))

    page = render_html(source, Translation("r", target, (pair,), "m"), title="t")

    [(attrs, text)] = [(a, x) for tag, a, x in spans(page, "mark")]
    assert (attrs["class"], text) == ("skipped", "المغرب")
    assert attrs["title"] == "news: المغرب → Morocco not applied: a fixed phrase"


def spans(page: str, wanted: str) -> list[tuple[str, dict[str, str], str]]:
    """(tag, attributes, text) of every ``wanted`` element of the page's body."""
    found: list[tuple[str, dict[str, str], str]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == wanted:
                found.append((tag, {k: v or "" for k, v in attrs}, ""))

        def handle_data(self, data):
            if found and found[-1][2] == "" and self.lasttag == wanted:
                tag, attrs, _ = found[-1]
                found[-1] = (tag, attrs, data)

    Collector().feed(page[page.index("<main>") :])
    return found


def test_paragraph_breaks_of_the_translation_become_sections(fake: FakeServer):
    text = "وصل كيري إلى موسكو. والتقى لافروف.\nوقال بوتين إن المحادثات مفيدة."
    with Translator(fake.address) as client:
        translation = client.translate(text)

    page = render_html(text, translation, title="t")

    sections = page.split('<section class="paragraph">')[1:]
    assert [section.count('<div class="pair"') for section in sections] == [2, 1]


def _chromium(*arguments: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def rendered(seed_translation, seed_article, tmp_path_factory) -> tuple[dict, Path]:
    """The seed page with the hover harness: its DOM's report and a screenshot."""
    if CHROMIUM is None:
        pytest.skip("needs Debian's chromium package (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("html")
    page = render_html(seed_article, seed_translation, title="seed.txt")
    harnessed = folder / "seed.html"
    harnessed.write_text(page.replace("</body>", HARNESS + "</body>"), encoding="utf-8")
    url = harnessed.as_uri()
    dom = _chromium("--dump-dom", url, profile=folder / "profile").stdout
    found = re.search(r'<pre id="harness-result">(.*?)</pre>', dom, re.S)
    assert found, "the harness did not run: " + dom[-500:]
    screenshot = folder / "seed.png"
    _chromium(
        f"--screenshot={screenshot}",
        f"--window-size={WIDTH},{HEIGHT}",
        url,
        profile=folder / "profile",
    )
    return json.loads(unescape(found.group(1))), screenshot


@needs_chromium
def test_browser_lays_out_arabic_right_to_left_beside_english(rendered):
    report, _ = rendered

    assert report["arabicDirection"] == "rtl"
    assert report["arabicAlign"] in ("right", "start")
    assert report["englishDirection"] == "ltr"
    assert report["arabicRightOfEnglish"] is True
    assert report["scripts"] == 2  # the page's own and the harness; nothing injected


@needs_chromium
def test_hovering_a_sentence_highlights_its_pair(rendered):
    report, _ = rendered

    assert report["sentenceHover"]["pairIds"] == ["1"]
    assert report["sentenceHover"]["terms"] == []


@needs_chromium
def test_hovering_an_arabic_term_highlights_its_english_rendering(
    rendered, seed_translation, seed_article
):
    report, _ = rendered
    first = seed_translation.sentences[0].term_hits[0]

    assert report["termHover"]["pairIds"] == ["0"]
    assert report["termHover"]["terms"] == [
        {"lang": "en", "pair": "0", "text": first.target_span.of(seed_translation.translation)},
        {"lang": "ar", "pair": "0", "text": first.source_span.of(seed_article)},
    ]


@needs_chromium
def test_screenshot_shows_the_highlights_in_both_columns(rendered):
    _, screenshot = rendered
    pixels = read_png(screenshot)
    assert (len(pixels), len(pixels[0])) == (HEIGHT, WIDTH)

    for colour in (TERM_COLOUR, ACTIVE_TERM_COLOUR, ACTIVE_PAIR_COLOUR):
        columns = {x for row in pixels for x, pixel in enumerate(row) if pixel == colour}
        assert any(x < WIDTH / 2 for x in columns), f"{colour} missing from the English column"
        assert any(x > WIDTH / 2 for x in columns), f"{colour} missing from the Arabic column"


def read_png(path: Path) -> list[list[tuple[int, ...]]]:
    """Rows of RGB pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, colour_type, interlace) in ((8, 2, 0), (8, 6, 0))
        elif kind == b"IDAT":
            compressed += body
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(compressed)
    rows: list[list[tuple[int, ...]]] = []
    previous = bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        current = _unfilter(line[0], bytearray(line[1:]), previous, channels)
        rows.append([tuple(current[x : x + 3]) for x in range(0, stride, channels)])
        previous = current
    return rows


def _unfilter(kind: int, line: bytearray, above: bytearray, bpp: int) -> bytearray:
    if kind == 0:
        return line
    if kind == 2:
        return bytearray((value + up) & 0xFF for value, up in zip(line, above, strict=True))
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = above[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            upper_left = above[i - bpp] if i >= bpp else 0
            estimate = left + up - upper_left
            distances = (abs(estimate - left), abs(estimate - up), abs(estimate - upper_left))
            predictor = (left, up, upper_left)[distances.index(min(distances))]
            line[i] = (line[i] + predictor) & 0xFF
    return line
