"""Glossary matching throughput on a 10,000-term glossary.

The glossary is synthetic (pseudo-Arabic words, seeded, so every run indexes the same
terms); the text is the seed article's sentences, shuffled and repeated to a few MB, with
a glossary term spliced into each sentence behind a random proclitic or in «quotes».
Reports MB/s of UTF-8 Arabic matched, terms indexed per second, and the speed-up over a
plain scan of the text once per term (which ignores word boundaries and proclitics, so
it is a lower bound on what a naive matcher costs).

    python bench/bench_matching.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from tarjama.glossary import Glossary, Matcher, Term, match_key, normalize
from tarjama.server.translate.segment import segment

SEED_ARTICLE = Path(__file__).resolve().parents[1] / "seeds" / "000_5cb57f188978d242.txt"
TERM_COUNT = 10_000
RANDOM_SEED = 20_150_920
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويةىأإآءؤئ"
PROCLITICS = ("", "", "", "و", "ب", "ل", "ال", "وال", "بال", "لل", "فال", "كال", "وب", "وبال")


def build_glossary(rng: random.Random, size: int = TERM_COUNT) -> Glossary:
    """`size` distinct terms of one to three pseudo-words; some have a second form."""
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()
    while len(terms) < size:
        forms = tuple(_pseudo_term(rng) for _ in range(1 if rng.random() < 0.9 else 2))
        keys = [match_key(form) for form in forms]
        if len(set(keys)) < len(keys) or any(key in seen for key in keys):
            continue
        seen.update(keys)
        kind = rng.choice(("person", "organization", "place", "other"))
        terms.append(Term(forms, f"Term {len(terms)}", kind=kind))
    return Glossary("bench", tuple(terms))


def _pseudo_term(rng: random.Random) -> str:
    words = ["".join(rng.choices(LETTERS, k=rng.randint(3, 8))) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        words[0] = "ال" + words[0]
    return " ".join(words)


def build_text(rng: random.Random, glossary: Glossary, target_bytes: int) -> tuple[str, list[int]]:
    """Shuffled seed sentences up to `target_bytes`, one term spliced into each.

    Returns the text and where each spliced term (with its proclitic) starts.
    """
    article = SEED_ARTICLE.read_text(encoding="utf-8")
    sentences = [article[s.start : s.end] for s in segment(article)]
    pieces: list[str] = []
    spliced_at: list[int] = []
    offset = size = 0
    while size < target_bytes:
        rng.shuffle(sentences)
        for sentence in sentences:
            words = sentence.split(" ")
            form = rng.choice(rng.choice(glossary.terms).sources)
            quoted = rng.random() < 0.2
            position = rng.randrange(1, len(words))
            words.insert(position, f"«{form}»" if quoted else rng.choice(PROCLITICS) + form)
            spliced_at.append(offset + len(" ".join(words[:position])) + 1 + quoted)
            piece = " ".join(words)
            pieces.append(piece)
            offset += len(piece) + 1
            size += len(piece.encode("utf-8")) + 1
    return "\n".join(pieces), spliced_at


def naive_scan_seconds(glossary: Glossary, text: str) -> float:
    """Time to scan normalised `text` once per source form (no boundaries, no clitics)."""
    normalized = normalize(text).text
    forms = [" ".join(match_key(form)) for term in glossary.terms for form in term.sources]
    started = time.perf_counter()
    for form in forms:
        normalized.count(form)
    return time.perf_counter() - started


def run(quick: bool) -> dict[str, float | int]:
    """Measure once; quick mode (~0.3 MB of text) takes a few seconds."""
    rng = random.Random(RANDOM_SEED)
    glossary = build_glossary(rng)
    text, spliced_at = build_text(rng, glossary, 300_000 if quick else 4_000_000)
    text_bytes = len(text.encode("utf-8"))

    started = time.perf_counter()
    matcher = Matcher([(glossary.name, glossary)])
    build_seconds = time.perf_counter() - started

    started = time.perf_counter()
    hits = matcher.find(text)
    match_seconds = time.perf_counter() - started

    sample = text[: 20_000 if quick else 100_000]
    started = time.perf_counter()
    matcher.find(sample)
    sample_seconds = time.perf_counter() - started
    naive_seconds = naive_scan_seconds(glossary, sample)
    return {
        "terms": len(glossary.terms),
        "text_bytes": text_bytes,
        "text_chars": len(text),
        "terms_spliced": len(spliced_at),
        "spliced_found": len(set(spliced_at) & {hit.start for hit in hits}),
        "hits": len(hits),
        "build_seconds": round(build_seconds, 3),
        "index_terms_per_s": round(len(glossary.terms) / build_seconds),
        "match_seconds": round(match_seconds, 3),
        "mb_per_s": round(text_bytes / 1e6 / match_seconds, 2),
        "hits_per_s": round(len(hits) / match_seconds),
        "speedup_vs_naive_scan": round(naive_seconds / sample_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~0.3 MB of text instead of 4 MB")
    results = run(parser.parse_args().quick)
    print(json.dumps(results, indent=2))
    print(
        f"{results['mb_per_s']} MB/s of Arabic over {results['terms']} terms; "
        f"indexing {results['index_terms_per_s']} terms/s; "
        f"{results['speedup_vs_naive_scan']}x a per-term scan"
    )


if __name__ == "__main__":
    main()
