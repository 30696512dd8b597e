"""Documents side by side: a big document through `Translator.translate_document` (what the
CLI runs) against the same text sent as one stream of paragraphs, and a page as HTML
against its own text as plain text.

Both sides run against one in-process server on the trained test model
(tests/data/test-model), with the sentence cache off, alternating A/B blocks so that a
change in the machine's load falls on both. Targets (issue 13): the document path at
≥ 0.9× the stream's throughput, HTML at ≤ 1.10× the time of its text.

    python bench/documents.py [--megabytes 5] [--rounds 2] [--json out.json]
    python bench/documents.py --quick          # 0.3 MB, one round: about a minute
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script, only bench/ is on the path
    sys.path.insert(0, str(ROOT))

from tarjama.client import Document, Translator  # noqa: E402
from tarjama.client.calls import TranslateOptions  # noqa: E402
from tarjama.server.serve.app import create_server  # noqa: E402
from tarjama.server.serve.config import ServerConfig  # noqa: E402
from tests.builders import corpus  # noqa: E402

MODEL_DIR = ROOT / "tests" / "data" / "test-model"
NO_CACHE = TranslateOptions(skip_cache=True)


def document(megabytes: float, seed: int) -> str:
    """Paragraphs of fresh synthetic news sentences, ``megabytes`` of UTF-8 in all."""
    paragraphs: list[str] = []
    size, batch = 0, 0
    while size < megabytes * 1_000_000:
        pairs = corpus.generate(400, seed=seed * 1000 + batch)
        batch += 1
        for start in range(0, len(pairs), 5):
            paragraph = " ".join(pair.source for pair in pairs[start : start + 5])
            paragraphs.append(paragraph)
            size += len(paragraph.encode()) + 1
    return "\n".join(paragraphs)


def page_of(text: str) -> str:
    """The same text as a news page: each paragraph a <p>, a link and a bold word inside."""
    body = []
    for number, paragraph in enumerate(text.splitlines()):
        words = paragraph.split(" ")
        if number % 2 and len(words) > 3:
            words[1] = f'<a href="/n/{number}">{words[1]}</a>'
            words[2] = f"<b>{words[2]}</b>"
        body.append(f"<p>{' '.join(words)}</p>")
    return (
        '<!DOCTYPE html>\n<html dir="rtl" lang="ar"><head><title>خبر</title></head>\n'
        "<body><nav><a href='/'>الرئيسية</a></nav><article>\n"
        + "\n".join(body)
        + "\n</article></body></html>\n"
    )


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--page-kilobytes", type=float, default=250.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.megabytes, args.page_kilobytes, args.rounds = 0.3, 60.0, 1

    text = document(args.megabytes, seed=7)
    paragraphs = text.splitlines()
    page_text = document(args.page_kilobytes / 1000, seed=11)
    page = page_of(page_text)
    with tempfile.TemporaryDirectory() as home:
        config = ServerConfig(
            home=Path(home), host="127.0.0.1", port=0, model=str(MODEL_DIR), cache_entries=0
        )
        server, port = create_server(config)
        server.start()
        try:
            with Translator(f"127.0.0.1:{port}", timeout=None) as client:
                sentences = client.translate_document(text, options=NO_CACHE).stats.sentences
                times: dict[str, list[float]] = {
                    "document": [],
                    "stream": [],
                    "html": [],
                    "text": [],
                }
                for _ in range(args.rounds):
                    times["stream"].append(
                        timed(
                            lambda: list(
                                client.translate_stream(
                                    (Document(p) for p in paragraphs), options=NO_CACHE
                                )
                            )
                        )
                    )
                    times["document"].append(
                        timed(lambda: client.translate_document(text, options=NO_CACHE))
                    )
                    times["text"].append(
                        timed(lambda: client.translate(page_text, skip_cache=True))
                    )
                    times["html"].append(
                        timed(
                            lambda: client.translate(page, skip_cache=True, mime_type="text/html")
                        )
                    )
        finally:
            server.stop(None).wait()

    document_ratio = sum(times["stream"]) / sum(times["document"])
    html_ratio = sum(times["html"]) / sum(times["text"])
    report = {
        "megabytes": round(len(text.encode()) / 1e6, 2),
        "sentences": sentences,
        "page_kilobytes": round(len(page.encode()) / 1e3, 1),
        "seconds": {name: [round(t, 2) for t in values] for name, values in times.items()},
        "document_vs_stream_throughput": round(document_ratio, 3),
        "html_vs_text_time": round(html_ratio, 3),
        "targets": {
            "document_vs_stream_throughput": "≥ 0.9",
            "html_vs_text_time": "≤ 1.10",
        },
        "pass": {
            "document": document_ratio >= 0.9,
            "html": html_ratio <= 1.10,
        },
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
