"""Document terms, measured: one rendering per name inside a document (issue 15, item 1).

Runs the pipeline on the trained test model (tests/data/test-model) over documents built
from what the model does. The model writes the names of its domain the same way in its
own sentences and drifts on them out of domain ("Muallem", then "al-Muallem"), so each
document is

* ``--in-domain`` held-out sentences of the model's corpus (seed 2, never trained on),
  whose references are known, and
* ``--drifting`` sentences that carry a name of the first sentence (its Arabic, as the
  alignment found it) among words drawn from the seed article, which the model does not
  know: where it drifts, it may spell the name another way.

Each document is translated with document terms off and on (no glossary, no cache). It
prints the names written in more than one way per document before and after, split into
spellings of one name (what document terms harmonise) and different names on one Arabic
word (left alone on purpose: a part of a longer name, an ordinary word), the document
terms made and their hits, chrF against the reference of the in-domain sentences off and
on, chrF of the rest of each changed sentence (the sentence with its names taken out, on
against off: 100 means only the names changed), and the cost of document terms: the
whole set and the seed article (with the news glossary and without) translated off and
on in turn, best of ``--repeats``, wall and process CPU time; with ``--opus-shape`` the
seed article also on a random-weight model of the real model's shape, whose cost per
token is the real one's (each sentence decoded to 60 tokens).

    python bench/document_terms.py [--documents N] [--json PATH] [--test-model DIR]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/document_terms.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

from bench.make_model import ensure_model  # noqa: E402
from tarjama.glossary.matcher import Matcher  # noqa: E402
from tarjama.glossary.name_records import collect_names  # noqa: E402
from tarjama.glossary.names import name_spans  # noqa: E402
from tarjama.glossary.yaml_io import load_glossary  # noqa: E402
from tarjama.results import DOCUMENT_METHOD, SentencePair  # noqa: E402
from tarjama.server.translate.assemble import DocumentTranslation  # noqa: E402
from tarjama.server.translate.document_names import same_name  # noqa: E402
from tarjama.server.translate.engine import Engine, EngineOptions  # noqa: E402
from tarjama.server.translate.pipeline import Pipeline, PipelineOptions  # noqa: E402
from tests.builders import corpus  # noqa: E402
from tests.builders.evaluate_model import chrf  # noqa: E402

TEST_MODEL = ROOT / "tests" / "data" / "test-model"
SEED_ARTICLE = ROOT / "seeds" / "000_5cb57f188978d242.txt"
NEWS = ROOT / "glossary" / "news.yaml"
ON = PipelineOptions(include_alignment=True, use_cache=False)
OFF = replace(ON, document_terms=False)


@dataclass(frozen=True)
class Document:
    sentences: tuple[str, ...]
    references: tuple[str | None, ...]  # None for a drifting sentence

    @property
    def text(self) -> str:
        return "\n".join(self.sentences)


def build_documents(
    engine: Engine, count: int, in_domain: int, drifting: int, seed: int
) -> list[Document]:
    pairs = corpus.generate(count * in_domain, seed=2)
    words = re.findall(r"[\u0600-\u06ff]+", SEED_ARTICLE.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    pipeline = Pipeline(model_name="test-model")
    documents = []
    for number in range(count):
        chosen = pairs[number * in_domain : (number + 1) * in_domain]
        first = pipeline.translate(
            chosen[0].source, translator=engine, matcher=Matcher([]), options=OFF
        )
        names = [name.arabic for pair in first.sentences for name in name_spans(pair)]
        sentences = [pair.source for pair in chosen]
        references: list[str | None] = [pair.target for pair in chosen]
        for _ in range(drifting if names else 0):
            noise = [rng.choice(words) for _ in range(rng.randint(3, 9))]
            noise.insert(rng.randint(0, len(noise)), rng.choice(names))
            at = rng.randint(1, len(sentences))
            sentences.insert(at, " ".join(noise) + ".")
            references.insert(at, None)
        documents.append(Document(tuple(sentences), tuple(references)))
    return documents


def build_drifted_documents(
    engine: Engine, probes: int, limit: int, seed: int
) -> tuple[list[Document], int]:
    """Documents where the model spells a name two ways, found by trying: a name of the
    corpus (one with the Arabic article) among unknown words, until the model spells it
    otherwise than in its own sentences («المعلم» "al-Muallem" for its "Muallem"). Each
    such sentence goes with two held-out sentences that name it as usual (references
    known) and one that does not.
    Also returns how many probes drifted to another name altogether (left alone)."""
    pipeline = Pipeline(model_name="test-model")
    held_out = corpus.generate(4000, seed=2)
    sources = tuple(pair.source for pair in held_out)
    first = pipeline.translate(
        "\n".join(sources), translator=engine, matcher=Matcher([]), options=OFF
    )
    lines = line_numbers(sources, first)
    renderings: dict[str, Counter[str]] = {}
    written: dict[str, str] = {}  # key -> the Arabic as written bare
    naming: dict[str, dict[str, list[int]]] = {}  # key -> rendering -> held-out sentences
    for pair, line in zip(first.sentences, lines, strict=True):
        for name in name_spans(pair):
            renderings.setdefault(name.key, Counter())[name.english] += 1
            written.setdefault(name.key, name.arabic)
            naming.setdefault(name.key, {}).setdefault(name.english, []).append(line)
    usual = {
        key: counts.most_common(1)[0][0]
        for key, counts in renderings.items()
        if counts.total() >= 4 and not name_like_latin(written[key])
    }
    words = re.findall(r"[\u0600-\u06ff]+", SEED_ARTICLE.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    # Names with the Arabic article are the ones the model spells two ways ("Assad",
    # "al-Assad"); the others drift to another name when they drift at all.
    keys = sorted(key for key in usual if any(w.startswith("ال") for w in key.split()))
    probe_keys, probe_texts = [], []
    for _ in range(probes):
        key = rng.choice(keys)
        noise = [rng.choice(words) for _ in range(rng.randint(3, 9))]
        noise.insert(rng.randint(0, len(noise)), written[key])
        probe_keys.append(key)
        probe_texts.append(" ".join(noise) + ".")
    probed = pipeline.translate(
        "\n".join(probe_texts), translator=engine, matcher=Matcher([]), options=OFF
    )
    drifted: list[tuple[str, str]] = []  # (key, probe sentence)
    other_names = 0
    for pair, line in zip(probed.sentences, line_numbers(probe_texts, probed), strict=True):
        key = probe_keys[line]
        for name in name_spans(pair):
            english = name.english
            if name.initial:  # capitalised as the sentence opens: the same rendering
                english = english[:1].lower() + english[1:]
            if name.key != key or usual[key] in (name.english, english):
                continue
            if same_name(english, usual[key]):
                drifted.append((key, probe_texts[line]))
            else:
                other_names += 1
    documents = []
    for key, sentence in list(dict.fromkeys(drifted))[:limit]:
        naming_it = naming[key][usual[key]]
        if len(naming_it) < 2:
            continue
        first_at, second_at = rng.sample(naming_it, 2)
        other = rng.choice([i for i in range(len(held_out)) if written[key] not in sources[i]])
        chosen = [held_out[first_at], None, held_out[second_at], held_out[other]]
        documents.append(
            Document(
                tuple(sentence if pair is None else pair.source for pair in chosen),
                tuple(None if pair is None else pair.target for pair in chosen),
            )
        )
    return documents, other_names


def name_like_latin(arabic: str) -> bool:
    return bool(re.search(r"[A-Za-z]", arabic))


def line_numbers(lines: Sequence[str], translation: DocumentTranslation) -> list[int]:
    """For each sentence pair, the line of the text it came from (lines joined by "\\n")."""
    ends = list(itertools.accumulate(len(line) + 1 for line in lines))
    return [bisect.bisect_right(ends, pair.source_span.start) for pair in translation.sentences]


def by_line(document: Document, translation: DocumentTranslation) -> list[str]:
    """The translation of each of the document's sentences (segmentation may cut one)."""
    lines: list[list[str]] = [[] for _ in document.sentences]
    numbers = line_numbers(document.sentences, translation)
    for pair, line in zip(translation.sentences, numbers, strict=True):
        lines[line].append(pair.target)
    return [" ".join(parts) for parts in lines]


def inconsistencies(document: DocumentTranslation) -> tuple[int, int, list[str]]:
    """(names spelled two ways, different names on one Arabic word, examples of the latter)."""
    spelled = different = 0
    examples = []
    for record in collect_names([("", document.sentences)]).values():
        renderings = record.renderings
        if len(record.occurrences) < 2 or len(renderings) < 2:
            continue
        top = renderings.most_common(1)[0][0]
        if all(same_name(variant, top) for variant in renderings):
            spelled += 1
        else:
            different += 1
            examples.append(f"{record.arabic}: {' / '.join(renderings)}")
    return spelled, different, examples


def rest(pair: SentencePair, names: list[tuple[int, int]]) -> str:
    """The sentence without the given spans (relative to the pair's target)."""
    text = pair.target
    for start, end in sorted(names, reverse=True):
        text = text[:start] + text[end:]
    return " ".join(text.split())


def changed_rest_chrf(off: DocumentTranslation, on: DocumentTranslation) -> list[float]:
    scores = []
    for before, after in zip(off.sentences, on.sentences, strict=True):
        if before.target == after.target:
            continue
        offset = after.target_span.start
        placed = [
            (hit.target_span.start - offset, hit.target_span.end - offset)
            for hit in after.term_hits
            if hit.method == DOCUMENT_METHOD
        ]
        # the off sentence's names at the same Arabic as the document hits
        sources = [hit.source_span for hit in after.term_hits if hit.method == DOCUMENT_METHOD]
        start = before.source_span.start
        written = [
            name.target
            for name in name_spans(before)
            for span in sources
            if name.source[0] + start < span.end and span.start < name.source[1] + start
        ]
        scores.append(chrf(rest(after, placed), rest(before, written)))
    return scores


def best_of(repeats: int, runs: dict[str, Callable[[], object]]) -> dict[str, dict[str, float]]:
    """Each run's best wall and CPU seconds, the runs taken in turn."""
    best = {name: {"wall": float("inf"), "cpu": float("inf")} for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            best[name]["wall"] = min(best[name]["wall"], time.perf_counter() - wall)
            best[name]["cpu"] = min(best[name]["cpu"], time.process_time() - cpu)
    return best


def measure(
    engine: Engine, documents: list[Document]
) -> tuple[dict[str, object], Callable[[PipelineOptions], object]]:
    """The quality figures of a set of documents, and a function that translates it."""
    pipeline = Pipeline(model_name="test-model")
    none = Matcher([])

    def translate_all(options: PipelineOptions) -> list[DocumentTranslation]:
        return [
            pipeline.translate(d.text, translator=engine, matcher=none, options=options)
            for d in documents
        ]

    offs, ons = translate_all(OFF), translate_all(ON)
    figures: dict[str, object] = {"documents": len(documents)}
    before = [inconsistencies(d) for d in offs]
    after = [inconsistencies(d) for d in ons]
    figures["spelled_two_ways_before"] = sum(b[0] for b in before)
    figures["spelled_two_ways_after"] = sum(a[0] for a in after)
    figures["different_names_before"] = sum(b[1] for b in before)
    figures["different_names_after"] = sum(a[1] for a in after)
    figures["different_name_examples"] = sorted({e for b in before for e in b[2]})[:8]
    terms = [term for d in ons for term in d.document_terms]
    figures["document_terms"] = len(terms)
    figures["document_term_examples"] = sorted(
        {
            f"{t.source_term} → {t.target_term} ("
            + ", ".join(f"{v.english} {v.count}" for v in t.variants)
            + ")"
            for t in terms
        }
    )[:8]
    figures["document_hits"] = sum(
        1 for d in ons for p in d.sentences for h in p.term_hits if h.method == DOCUMENT_METHOD
    )
    figures["sentences"] = sum(len(d.sentences) for d in ons)
    figures["sentences_changed"] = sum(
        1
        for off, on in zip(offs, ons, strict=True)
        for a, b in zip(off.sentences, on.sentences, strict=True)
        if a.target != b.target
    )
    scores: dict[str, list[float]] = {"off": [], "on": []}
    for document, off, on in zip(documents, offs, ons, strict=True):
        for reference, a, b in zip(
            document.references, by_line(document, off), by_line(document, on), strict=True
        ):
            if reference is not None:
                scores["off"].append(chrf(a, reference))
                scores["on"].append(chrf(b, reference))
    for name, values in scores.items():
        figures[f"in_domain_chrf_{name}"] = round(sum(values) / len(values), 2)
    rests = [s for off, on in zip(offs, ons, strict=True) for s in changed_rest_chrf(off, on)]
    figures["changed_rest_chrf"] = round(sum(rests) / len(rests), 2) if rests else None
    figures["changed_rest_chrf_min"] = round(min(rests), 2) if rests else None
    return figures, translate_all


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=150, help="of the mixed set")
    parser.add_argument("--in-domain", type=int, default=4)
    parser.add_argument("--drifting", type=int, default=4)
    parser.add_argument("--probes", type=int, default=6000, help="tries for the drifted set")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--test-model", type=Path, default=TEST_MODEL)
    parser.add_argument(
        "--opus-shape",
        action="store_true",
        help="also time the seed article on a random model of the real shape (bench/make_model)",
    )
    args = parser.parse_args()

    engine = Engine(args.test_model, EngineOptions(beam_size=4))
    mixed = build_documents(engine, args.documents, args.in_domain, args.drifting, args.seed)
    drifted, other_names = build_drifted_documents(engine, args.probes, 100, args.seed)
    figures: dict[str, object] = {}
    figures["mixed"], translate_mixed = measure(engine, mixed)
    figures["drifted"], _ = measure(engine, drifted)
    figures["drifted"]["probes_drifting_to_another_name"] = other_names  # type: ignore[index]

    pipeline = Pipeline(model_name="test-model")
    seed = SEED_ARTICLE.read_text(encoding="utf-8")
    news, none = Matcher([("news", load_glossary(NEWS))]), Matcher([])
    plain = replace(OFF, include_alignment=False)
    harmonised = replace(plain, document_terms=True)
    timings = best_of(
        args.repeats,
        {
            "mixed_off": lambda: translate_mixed(plain),
            "mixed_on": lambda: translate_mixed(harmonised),
            "seed_news_off": lambda: pipeline.translate(
                seed, translator=engine, matcher=news, options=plain
            ),
            "seed_news_on": lambda: pipeline.translate(
                seed, translator=engine, matcher=news, options=harmonised
            ),
            "seed_bare_off": lambda: pipeline.translate(
                seed, translator=engine, matcher=none, options=plain
            ),
            "seed_bare_on": lambda: pipeline.translate(
                seed, translator=engine, matcher=none, options=harmonised
            ),
        },
    )
    if args.opus_shape:  # the real model's cost per token: where the alignment costs
        shaped = Engine(
            ensure_model(),
            EngineOptions(beam_size=4, max_decoding_length=60, min_decoding_length=60),
        )
        for glossary, matcher in (("news", news), ("bare", none)):
            for switch, options in (("off", plain), ("on", harmonised)):
                timings[f"opus_{glossary}_{switch}"] = best_of(
                    args.repeats,
                    {
                        "run": lambda matcher=matcher, options=options: pipeline.translate(
                            seed, translator=shaped, matcher=matcher, options=options
                        )
                    },
                )["run"]
    cost = {}
    scopes = ["mixed", "seed_news", "seed_bare"]
    scopes += ["opus_news", "opus_bare"] if args.opus_shape else []
    for scope in scopes:
        on, off = timings[f"{scope}_on"], timings[f"{scope}_off"]
        cost[scope] = {m: round(on[m] / off[m], 3) for m in ("wall", "cpu")}
    figures["cost_on_over_off"] = cost
    figures["timings_s"] = {k: {m: round(v, 3) for m, v in t.items()} for k, t in timings.items()}

    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
