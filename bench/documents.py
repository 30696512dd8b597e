"""Documents side by side: a big document through the CLI (`tarjama translate FILE`, run in
this process) against the same text sent as one stream of paragraphs, and a page as HTML
against its own text as plain text.

Both sides run against one in-process server on the trained test model
(tests/data/test-model), with the sentence cache off, alternating A/B and B/A rounds so
that a change in the machine's load falls on both. Each side's wall time and the process's
CPU time (client and server together) are recorded per round; the ratios are given as the
ratio of the totals and the lowest, median and highest ratio of one round. The page is
also measured with document terms off (on, they ask for every sentence's word alignment,
which HTML asks for to place inline tags). Targets (issue 13): the CLI at ≥ 0.9× the
stream's throughput, HTML at ≤ 1.10× the time of its text.

    python bench/documents.py [--megabytes 5] [--rounds 2] [--page-rounds 6] [--json out.json]
    python bench/documents.py --quick          # 0.3 MB, one round, 4 page rounds
    python bench/documents.py --pages-only     # the page alone
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script, only bench/ is on the path
    sys.path.insert(0, str(ROOT))

from tarjama.client import Document, Translator  # noqa: E402
from tarjama.client.calls import TranslateOptions  # noqa: E402
from tarjama.client.cli import main as tarjama_cli  # noqa: E402
from tarjama.server.serve.app import create_server  # noqa: E402
from tarjama.server.serve.config import ServerConfig  # noqa: E402
from tests.builders import corpus  # noqa: E402

MODEL_DIR = ROOT / "tests" / "data" / "test-model"
NO_CACHE = TranslateOptions(skip_cache=True)
NO_NAMES = TranslateOptions(skip_cache=True, no_document_terms=True)


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


def timed(work: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process: the client and the in-process server)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def spread(numerators: list[float], denominators: list[float]) -> dict[str, float]:
    """The ratio of the totals, and the lowest and highest ratio of one round."""
    rounds = [a / b for a, b in zip(numerators, denominators, strict=True)]
    return {
        "total": round(sum(numerators) / sum(denominators), 3),
        "min": round(min(rounds), 3),
        "median": round(statistics.median(rounds), 3),
        "max": round(max(rounds), 3),
    }


Times = dict[str, dict[str, list[float]]]  # side -> "wall"/"cpu" -> one value a round


def record(times: Times, side: str, work: Callable[[], Any]) -> None:
    wall, cpu = timed(work)
    times.setdefault(side, {"wall": [], "cpu": []})
    times[side]["wall"].append(wall)
    times[side]["cpu"].append(cpu)


def measure_documents(address: str, text: str, rounds: int, times: Times) -> int:
    """`tarjama translate FILE` against one stream of the file's paragraphs; returns the
    document's sentences."""
    paragraphs = text.splitlines()
    counted: list[int] = []
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "document.txt", Path(folder) / "document.en.txt"
        source.write_text(text, encoding="utf-8")
        command = ["translate", str(source), "-o", str(output), "--quiet", "--server", address]

        def stream() -> None:
            with Translator(address, timeout=None) as client:
                documents = (Document(p) for p in paragraphs)
                results = client.translate_stream(documents, options=NO_CACHE)
                counted.append(sum(result.stats.sentences for result in results))

        def cli() -> None:
            if tarjama_cli(command) != 0:
                raise RuntimeError("tarjama translate failed")

        for number in range(rounds):
            # Alternate the order, so that neither side always runs on a warmer machine.
            for side, work in [("stream", stream), ("cli", cli)][:: 1 if number % 2 else -1]:
                record(times, side, work)
    return counted[0]


def measure_page(client: Translator, page: str, page_text: str, rounds: int, times: Times) -> None:
    """The page as HTML against its text as plain text, with the default options and with
    document terms off (where the text path decodes no word alignment of its own)."""
    for suffix, options in [("", NO_CACHE), (" no_document_terms", NO_NAMES)]:
        text = partial(client.translate_document, page_text, options=options)
        html = partial(client.translate_document, page, options=options, mime_type="text/html")
        for number in range(rounds):
            for side, work in [("text", text), ("html", html)][:: 1 if number % 2 else -1]:
                record(times, side + suffix, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--page-kilobytes", type=float, default=60.0, help="of its text")
    parser.add_argument("--rounds", type=int, default=2, help="of the document")
    parser.add_argument("--page-rounds", type=int, default=6)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pages-only", action="store_true", help="skip the document")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.megabytes, args.rounds, args.page_rounds = 0.3, 1, 4

    text = document(args.megabytes, seed=7)
    page_text = document(args.page_kilobytes / 1000, seed=11)
    page = page_of(page_text)
    times: Times = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as home:
        config = ServerConfig(
            home=Path(home), host="127.0.0.1", port=0, model=str(MODEL_DIR), cache_entries=0
        )
        server, port = create_server(config)
        server.start()
        try:
            with Translator(f"127.0.0.1:{port}", timeout=None) as client:
                client.translate_document(page_text[:2000], options=NO_CACHE)  # warm up
                measure_page(client, page, page_text, args.page_rounds, times)
            sentences = 0
            if not args.pages_only:
                sentences = measure_documents(f"127.0.0.1:{port}", text, args.rounds, times)
        finally:
            server.stop(None).wait()

    def ratio(a: str, b: str) -> dict[str, dict[str, float]]:
        return {kind: spread(times[a][kind], times[b][kind]) for kind in ("wall", "cpu")}

    report: dict[str, Any] = {
        "page_kilobytes": round(len(page.encode()) / 1e3, 1),
        "page_text_kilobytes": round(len(page_text.encode()) / 1e3, 1),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "seconds": {
            side: {kind: [round(t, 2) for t in values] for kind, values in kinds.items()}
            for side, kinds in times.items()
        },
        "html_vs_text_time": ratio("html", "text"),
        "html_vs_text_time_no_document_terms": ratio(
            "html no_document_terms", "text no_document_terms"
        ),
        "targets": {"html_vs_text_time": "≤ 1.10"},
    }
    report["pass"] = {"html": report["html_vs_text_time"]["wall"]["total"] <= 1.10}
    if not args.pages_only:
        report["megabytes"] = round(len(text.encode()) / 1e6, 2)
        report["sentences"] = sentences
        # Throughput is sentences per second: the stream's time over the document's.
        report["cli_vs_stream_throughput"] = ratio("stream", "cli")
        report["targets"]["cli_vs_stream_throughput"] = "≥ 0.9"
        report["pass"]["cli"] = report["cli_vs_stream_throughput"]["wall"]["total"] >= 0.9
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
