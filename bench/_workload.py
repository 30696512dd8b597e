"""Benchmark inputs: Arabic news sentences and articles shaped like the seed article.

Sentence lengths (in words) are drawn from the seed article's own sentences; the words
are drawn from its vocabulary, so they tokenise like news Arabic while every sentence is
new (a repeated sentence would be served from the server's cache and measure nothing).
Each sentence ends with a full stop and nothing inside it ends a sentence, so the server
segments it back into exactly one sentence.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from pathlib import Path

from tarjama.server.translate.segment import segment

SEED_ARTICLE = Path(__file__).resolve().parents[1] / "seeds" / "000_5cb57f188978d242.txt"
_TERMINATORS = re.compile(r"[.!?؟؛…:]+")


def seed_text() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")


def seed_sentence_lengths() -> list[int]:
    """Words per sentence of the seed article (sentences with Arabic letters only)."""
    text = seed_text()
    return [len(text[s.start : s.end].split()) for s in segment(text) if s.has_arabic]


def _seed_words() -> list[str]:
    words = (_TERMINATORS.sub("", word) for word in seed_text().split())
    return [word for word in words if any("\u0621" <= char <= "\u064a" for char in word)]


def sentence_stream(rng: random.Random) -> Iterator[str]:
    """Distinct one-sentence Arabic texts with seed-article lengths, without end."""
    lengths = seed_sentence_lengths()
    words = _seed_words()
    seen: set[str] = set()
    while True:
        sentence = " ".join(rng.choices(words, k=rng.choice(lengths))) + "."
        if sentence not in seen and len(segment(sentence)) == 1:
            seen.add(sentence)
            yield sentence


def make_sentences(count: int, seed: int) -> list[str]:
    """``count`` distinct sentences (see the module docstring)."""
    return list(itertools.islice(sentence_stream(random.Random(seed)), count))


def make_article(words: int, seed: int) -> str:
    """An article of at least ``words`` words: paragraphs of one to four sentences."""
    rng = random.Random(seed)
    sentences = sentence_stream(rng)
    paragraphs: list[str] = []
    total = 0
    while total < words:
        paragraph = " ".join(next(sentences) for _ in range(rng.randint(1, 4)))
        paragraphs.append(paragraph)
        total += len(paragraph.split())
    return "\n".join(paragraphs)


class SentencePool:
    """Distinct benchmark sentences, each handed out once."""

    def __init__(self, seed: int) -> None:
        self._stream = sentence_stream(random.Random(seed))

    def take(self, count: int) -> list[str]:
        return list(itertools.islice(self._stream, count))
