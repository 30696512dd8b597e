"""Translations with hand-made word alignments, for the name-mining tests.

A sentence is written as Arabic words and English words with the links between them
(source word index → target word indices), so a corpus with known renderings of names
can be built without a model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from tarjama.client.cli_output import render_json
from tarjama.results import SentencePair, Span, TermHit, Translation, WordAlignment

Links = dict[int, Sequence[int]]


def _word_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\s.,:«»\"]+", text)]


def translation(
    sentences: Sequence[tuple[str, str, Links]],
    request_id: str = "doc",
    terms: Sequence[tuple[str, str]] = (),
) -> Translation:
    """One document, a sentence a paragraph; ``terms`` (Arabic, English) become term hits."""
    pairs = []
    source_at = target_at = 0
    for source, target, links in sentences:
        source_words, target_words = _word_spans(source), _word_spans(target)
        alignment = tuple(
            WordAlignment(
                Span(*source_words[s]).shifted(source_at), Span(*target_words[t]).shifted(target_at)
            )
            for s, targets in links.items()
            for t in targets
        )
        hits = tuple(
            TermHit(
                "news", arabic, english,
                Span(source.index(arabic), source.index(arabic) + len(arabic)).shifted(source_at),
                Span(target.index(english), target.index(english) + len(english)).shifted(
                    target_at
                ),
                "inline",
            )
            for arabic, english in terms
            if arabic in source and english in target
        )  # fmt: skip
        pairs.append(
            SentencePair(
                source,
                target,
                Span(source_at, source_at + len(source)),
                Span(target_at, target_at + len(target)),
                term_hits=hits,
                alignment=alignment,
            )
        )
        source_at += len(source) + 1
        target_at += len(target) + 1
    text = "\n".join(target for _, target, _ in sentences)
    return Translation(request_id, text, tuple(pairs), "test-model")


# «سيرغي لافروف» as "Sergei Lavrov" and "Sergey Lavrov", «الكرملين» always "Kremlin".
LAVROV_SERGEI = ("قال سيرغي لافروف إن الكرملين مستعد.", "Sergei Lavrov said the Kremlin is ready.",
                 {0: [2], 1: [0], 2: [1], 4: [4], 5: [5, 6]})  # fmt: skip
LAVROV_SERGEY = ("والتقى سيرغي لافروف كيري.", "Sergey Lavrov met Kerry.",
                 {0: [2], 1: [0], 2: [1], 3: [3]})  # fmt: skip
KERRY_VISIT = ("وصل الوزير وكيري إلى الكرملين.", "The minister and Kerry arrived at the Kremlin.",
               {0: [4], 1: [0, 1], 2: [2, 3], 3: [5], 4: [6, 7]})  # fmt: skip


def write_jsonl(path: Path, translations: Sequence[Translation]) -> Path:
    path.write_text("".join(render_json(t) for t in translations), encoding="utf-8")
    return path
