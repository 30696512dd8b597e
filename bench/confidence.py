"""Confidence per sentence, measured: does it separate good translations from bad ones?

Runs the pipeline (no glossary) on the trained test model (tests/data/test-model) over
the model's own held-out sentences (the trainer's held-out set: seed 2, none in the
training corpus) and over the same sentences deliberately broken, so that the model
translates them badly while the reference stays known:

* ``reversed``: the words in reverse order;
* ``shuffled``: the words in a random order (seed 0);
* ``glued``: two sentences joined without their full stop, the second's words reversed;
* ``unseen``: a person's name replaced by a name the model never saw (the reference
  holds its English), e.g. «أردوغان» Erdogan.

Every translation is scored with chrF against its reference; a translation is *bad*
when chrF < 80 and *good* when chrF ≥ 95. It prints, per set, the mean confidence, chrF
and the share flagged ``needs_review``; over all sentences the rank correlation
(Spearman) of confidence with chrF, the ROC AUC of confidence for good against bad (1.0:
every good sentence more confident than every bad one; 0.5: chance), the same for the
model's raw score alone, and precision and recall of ``needs_review`` for bad sentences;
and how often each review reason fired.

    python bench/confidence.py [--sentences N] [--json PATH] [--test-model DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/confidence.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

from tarjama.glossary.matcher import Matcher  # noqa: E402
from tarjama.results import SentencePair  # noqa: E402
from tarjama.server.translate.engine import Engine  # noqa: E402
from tarjama.server.translate.pipeline import Pipeline, PipelineOptions  # noqa: E402
from tests.builders import corpus  # noqa: E402
from tests.builders.evaluate_model import chrf  # noqa: E402

TEST_MODEL = ROOT / "tests" / "data" / "test-model"
BAD_BELOW = 80.0
GOOD_FROM = 95.0
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
# People in the corpus and names the model never saw (tests/data/test-model/README.md).
KNOWN = (("لافروف", "Lavrov"), ("كيري", "Kerry"), ("بوتين", "Putin"), ("أوباما", "Obama"))
UNSEEN = (("أردوغان", "Erdogan"), ("دي ميستورا", "de Mistura"), ("توبوليف", "Tupolev"))


@dataclass(frozen=True)
class Case:
    kind: str
    source: str
    reference: str


@dataclass(frozen=True)
class Scored:
    kind: str
    chrf: float
    pair: SentencePair


def held_out(count: int) -> list[corpus.Pair]:
    """The trainer's held-out sentences (tests/builders/train_test_model.py)."""
    train = {pair.source for pair in corpus.generate(40_000, 1)}
    return corpus.generate(count, 2, exclude=train)


def cases(pairs: list[corpus.Pair]) -> list[Case]:
    rng = random.Random(0)
    result = [Case("good", pair.source, pair.target) for pair in pairs]
    for pair in pairs:
        words = pair.source.rstrip(".").split()
        result.append(Case("reversed", " ".join(reversed(words)) + ".", pair.target))
        shuffled = words[:]
        rng.shuffle(shuffled)
        result.append(Case("shuffled", " ".join(shuffled) + ".", pair.target))
    for first, second in zip(pairs[::2], pairs[1::2], strict=False):
        tail = " ".join(reversed(second.source.rstrip(".").split()))
        glued = f"{first.source.rstrip('.')} {tail}."
        result.append(Case("glued", glued, f"{first.target} {second.target}"))
    for pair in pairs:
        for (arabic, english), (unseen, unseen_english) in zip(KNOWN, UNSEEN * 2, strict=False):
            if arabic in pair.source and english in pair.target:
                source = pair.source.replace(arabic, unseen)
                result.append(Case("unseen", source, pair.target.replace(english, unseen_english)))
                break
    return result


def translate(engine: Engine, batch: list[Case]) -> list[Scored]:
    pipeline = Pipeline(model_name="test-model")
    text = "\n".join(case.source for case in batch)  # one sentence per paragraph
    document = pipeline.translate(
        text, translator=engine, matcher=Matcher([]), options=PipelineOptions()
    )
    pairs = document.sentences
    if len(pairs) != len(batch):
        raise AssertionError(f"{len(batch)} cases segmented into {len(pairs)} sentences")
    return [
        Scored(case.kind, chrf(pair.target, case.reference), pair)
        for case, pair in zip(batch, pairs, strict=True)
    ]


def auc(good: list[float], bad: list[float]) -> float:
    """P(a good sentence's value > a bad one's), ties counted half."""
    if not good or not bad:
        return float("nan")
    wins = sum((g > b) + 0.5 * (g == b) for g in good for b in bad)
    return wins / (len(good) * len(bad))


def spearman(xs: list[float], ys: list[float]) -> float:
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        result = [0.0] * len(values)
        index = 0
        while index < len(order):
            end = index
            while end + 1 < len(order) and values[order[end + 1]] == values[order[index]]:
                end += 1
            for position in range(index, end + 1):
                result[order[position]] = (index + end) / 2
            index = end + 1
        return result

    rx, ry = ranks(xs), ranks(ys)
    mean = (len(xs) - 1) / 2
    cov = sum((a - mean) * (b - mean) for a, b in zip(rx, ry, strict=True))
    var_x = sum((a - mean) ** 2 for a in rx)
    var_y = sum((b - mean) ** 2 for b in ry)
    return cov / (var_x * var_y) ** 0.5


def report(scored: list[Scored]) -> dict:
    kinds: dict[str, dict] = {}
    for kind in dict.fromkeys(item.kind for item in scored):
        items = [item for item in scored if item.kind == kind]
        kinds[kind] = {
            "sentences": len(items),
            "confidence": sum(item.pair.confidence for item in items) / len(items),
            "chrf": sum(item.chrf for item in items) / len(items),
            "flagged": sum(item.pair.needs_review for item in items) / len(items),
        }
    good = [item for item in scored if item.chrf >= GOOD_FROM]
    bad = [item for item in scored if item.chrf < BAD_BELOW]
    flagged = [item for item in scored if item.pair.needs_review]
    reasons = Counter(
        code
        for item in scored
        for code in dict.fromkeys(reason.code for reason in item.pair.review_reasons)
    )
    return {
        "kinds": kinds,
        "good": len(good),
        "bad": len(bad),
        "spearman_confidence_chrf": spearman(
            [item.pair.confidence for item in scored], [item.chrf for item in scored]
        ),
        "auc_confidence": auc(
            [item.pair.confidence for item in good], [item.pair.confidence for item in bad]
        ),
        "auc_score": auc([item.pair.score for item in good], [item.pair.score for item in bad]),
        "review_precision": sum(item.chrf < BAD_BELOW for item in flagged) / max(len(flagged), 1),
        "review_recall": sum(item.pair.needs_review for item in bad) / max(len(bad), 1),
        "good_flagged": sum(item.pair.needs_review for item in good) / max(len(good), 1),
        "reasons": dict(reasons.most_common()),
        "below": {
            f"{threshold:.2f}": {
                "bad_caught": sum(i.pair.confidence < threshold for i in bad) / max(len(bad), 1),
                "good_caught": sum(i.pair.confidence < threshold for i in good) / max(len(good), 1),
            }
            for threshold in THRESHOLDS
        },
    }


def print_report(result: dict) -> None:
    print(f"{'set':<10} {'n':>5} {'confidence':>10} {'chrF':>6} {'flagged':>8}")
    for kind, row in result["kinds"].items():
        print(
            f"{kind:<10} {row['sentences']:>5} {row['confidence']:>10.3f} {row['chrf']:>6.1f} "
            f"{row['flagged']:>8.1%}"
        )
    print(
        f"good (chrF >= {GOOD_FROM:g}) {result['good']}, bad (chrF < {BAD_BELOW:g}) {result['bad']}"
    )
    print(f"Spearman(confidence, chrF)   {result['spearman_confidence_chrf']:.3f}")
    print(f"AUC confidence good vs bad   {result['auc_confidence']:.3f}")
    print(f"AUC raw score good vs bad    {result['auc_score']:.3f}")
    print(f"needs_review precision       {result['review_precision']:.1%} (flagged that are bad)")
    print(f"needs_review recall          {result['review_recall']:.1%} (bad that are flagged)")
    print(f"good sentences flagged       {result['good_flagged']:.1%}")
    for threshold, row in result["below"].items():
        print(
            f"confidence < {threshold}: bad {row['bad_caught']:.1%}, good {row['good_caught']:.1%}"
        )
    print(
        "reasons (sentences)          "
        + ", ".join(f"{k} {v}" for k, v in result["reasons"].items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=300, help="held-out sentences")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    parser.add_argument("--test-model", type=Path, default=TEST_MODEL)
    args = parser.parse_args()
    engine = Engine(args.test_model)
    batch = cases(held_out(args.sentences))
    scored: list[Scored] = []
    for start in range(0, len(batch), 200):
        scored += translate(engine, batch[start : start + 200])
    result = report(scored)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
