"""TranslateRequest.mime_type "text/html" end to end: server, client library and CLI."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import grpc
import pytest

from tarjama.client import InvalidRequest, Translator
from tarjama.client.cli_inputs import Job, read_document
from tarjama.server.serve.app import create_server
from tarjama.server.serve.config import ServerConfig
from tests.client_fakes import run_cli
from tests.test_markup import NEWS_PAGE


@pytest.fixture(scope="module")
def address(test_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = ServerConfig(
        home=tmp_path_factory.mktemp("home"), host="127.0.0.1", port=0, model=str(test_model_dir)
    )
    server, port = create_server(config)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None).wait()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.starts.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def tags(page: str) -> list[str]:
    parser = _Tags()
    parser.feed(page)
    return parser.starts


def test_a_page_comes_back_a_page_with_its_markup(address: str) -> None:
    with Translator(address) as client:
        result = client.translate(NEWS_PAGE, mime_type="text/html")

    page = result.translation
    assert tags(page) == tags(NEWS_PAGE)  # every element kept, in order
    assert '<html dir="ltr" lang="en">' in page
    assert "<code>tarjama --help</code>" in page and "<pre>سطر   محفوظ</pre>" in page
    assert '<div translate="no">نص لا يترجم</div>' in page
    assert "if (a < b && c > d)" in page  # the script untouched
    # The Arabic of translated blocks is gone; "Putin" sits inside the <b> that wrapped بوتين.
    assert "التقى" not in page and re.search(r"<b>[^<]*Putin[^<]*</b>", page)


def test_spans_point_into_the_page_sent_and_the_page_returned(address: str) -> None:
    with Translator(address) as client:
        result = client.translate(NEWS_PAGE, mime_type="text/html", alignment=True)

    assert result.sentences
    for pair in result.sentences:
        sent = pair.source_span.of(NEWS_PAGE)
        returned = pair.target_span.of(result.translation)
        # Markup may sit inside a sentence's span (and untouched code inside the sentence):
        # the pair's words are the span's words, in order, with at most those in between.
        assert _in_order(_words(pair.source), _words(sent))
        assert _in_order(_words(pair.target), _words(returned))
        for hit in pair.term_hits:
            assert _words(hit.target_span.of(result.translation)) == _words(hit.target_term)
    assert any(pair.alignment for pair in result.sentences)


def _in_order(words: list[str], within: list[str]) -> bool:
    remaining = iter(within)
    return bool(words) and all(word in remaining for word in words)


def _words(fragment: str) -> list[str]:
    parser = _Tags()
    parser.feed(fragment)
    return "".join(parser.text).split()


def test_an_unknown_mime_type_is_refused(address: str) -> None:
    with (
        Translator(address) as client,
        pytest.raises(InvalidRequest, match="text/plain or text/html") as raised,
    ):
        client.translate("قال بوتين", mime_type="application/pdf")
    assert raised.value.code is grpc.StatusCode.INVALID_ARGUMENT


def test_the_cli_picks_html_by_extension_and_writes_a_page(
    address: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "story.html").write_text(NEWS_PAGE, encoding="utf-8")
    out = tmp_path / "en"

    run = run_cli(
        ["translate", str(folder), "--out", str(out), "--quiet", "--server", address],
        capsys,
        monkeypatch,
    )

    assert run.exit_code == 0, run.stderr
    page = (out / "story.en.html").read_text(encoding="utf-8")
    assert tags(page) == tags(NEWS_PAGE)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_chromium_renders_the_page_sent_rtl_and_the_page_returned_ltr(
    address: str, tmp_path: Path
) -> None:
    with Translator(address) as client:
        english = client.translate(NEWS_PAGE, mime_type="text/html").translation
    probe = (
        "<script>document.addEventListener('DOMContentLoaded', function () {"
        "var p = document.querySelector('article p'); var out = document.createElement('pre');"
        "out.id = 'probe'; out.textContent = getComputedStyle(p).direction + '|' +"
        " document.documentElement.lang + '|' + p.querySelectorAll('b, a').length;"
        "document.body.appendChild(out); });</script>"
    )
    seen = {}
    for name, page in (("ar", NEWS_PAGE), ("en", english)):
        path = tmp_path / f"{name}.html"
        path.write_text(page.replace("</head>", probe + "</head>"), encoding="utf-8")
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri()],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
        found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
        assert found, dom[-300:]
        seen[name] = found.group(1)

    assert seen == {"ar": "rtl|ar|2", "en": "ltr|en|2"}  # <b> and <a> kept in the sentence


@pytest.mark.parametrize(
    ("piped", "mime_type"),
    [
        (NEWS_PAGE, "text/html"),  # starts with <!DOCTYPE html>
        ("\n<HTML><body><p>قال بوتين إن المحادثات مفيدة.</p></body></HTML>", "text/html"),
        ("<p>قال بوتين إن المحادثات مفيدة.</p>", ""),  # a fragment: --mime-type says so
        ("قال بوتين إن <المحادثات> مفيدة.", ""),
    ],
)
def test_a_whole_page_on_standard_input_is_read_as_html(
    monkeypatch, piped: str, mime_type: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(piped.encode())))

    assert read_document(Job("-", None, None)).mime_type == mime_type


def test_a_page_piped_in_comes_back_a_page(address: str, capsys, monkeypatch) -> None:
    run = run_cli(
        ["translate", "--quiet", "--server", address], capsys, monkeypatch, stdin=NEWS_PAGE.encode()
    )

    assert run.exit_code == 0, run.stderr
    assert tags(run.stdout) == tags(NEWS_PAGE)


def test_a_page_is_held_to_the_limit_by_its_text_not_its_markup(
    test_model_dir: Path, tmp_path: Path
) -> None:
    limit = 3_000
    config = ServerConfig(
        home=tmp_path, host="127.0.0.1", port=0, model=str(test_model_dir), max_characters=limit
    )
    script = "<script>" + "var shown = 1;\n" * 400 + "</script>"  # as news pages carry
    page = NEWS_PAGE.replace("</head>", script + "</head>")
    assert len(page) > limit
    long_story = "<p>" + "قال الرئيس إن المحادثات مستمرة. " * 120 + "</p>"
    server, port = create_server(config)
    server.start()
    try:
        with Translator(f"127.0.0.1:{port}") as client:
            result = client.translate(page, mime_type="text/html")
            with pytest.raises(InvalidRequest, match=r"the page's text has \d+ characters, over"):
                client.translate(long_story, mime_type="text/html")
            with pytest.raises(InvalidRequest, match=r"^text has \d+ characters, over the limit"):
                client.translate("قال الرئيس. " * 400)
    finally:
        server.stop(None).wait()

    assert tags(result.translation) == tags(page)
    assert script in result.translation  # kept verbatim
