"""Glossary enforcement, measured: term accuracy, methods, and what it does to the rest.

Runs the pipeline over ``bench/term_testset.yaml`` on the trained test model
(tests/data/test-model, when it is there) and on a random-weight model, and prints

* renderings placed: expected renderings that are in the translation, reported as a hit
  whose target span holds exactly the rendering, once per hit; and found: those placed
  plus those the enforcer withheld and reported as skipped with a reason (a rendering that
  would have stood glued to another where the model left out the words between them);
  an expected rendering neither placed nor reported is a failure;
* the share of hits placed by each method (model, inline, aligned);
* chrF of the non-term text against the unconstrained translation, by the costliest
  method a sentence needed: the enforced translation without its renderings against the
  plain translation without the words it wrote for the terms (the rendering itself where
  it wrote it, else the longest run of words aligned to the term; see
  ``_without_term_words``). 100 means enforcement changed nothing but the terms;
* defects next to renderings, per method, with the plain translation's own beside them
  (``tarjama.server.translate.enforce.english`` holds the checks): a lost or extra article
  (against the term's article rule), renderings stacked without the words between them,
  model words next to a term deleted, a rendering absorbed into a longer name, a
  lower-case sentence start, Arabic left over; in all sentences and in those the model
  translates well (its plain translation has no Arabic and holds every expected
  rendering). Deleted words are counted for aligned edits only: an inline copy comes with
  the model's own sentence for the injected source;
* false hits (applied where the case says the term is skipped); skipped terms expected by
  a case (``skip``) must be reported as skipped;
* the glossary's cost on the seed article: enforced / plain translation time, wall and
  CPU (best of 5).

    python bench/eval_terms.py [--quick] [--json PATH] [--test-model DIR]

Exits 1 when an expected rendering is neither placed nor reported as skipped, on any
model, so CI can run ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/eval_terms.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

from bench._term_defects import (  # noqa: E402
    DEFECTS,
    METHODS,
    defects,
    deleted_neighbours,
    plain_defects,
)
from tarjama.glossary.bundled import bundled_glossary_path  # noqa: E402
from tarjama.glossary.matcher import Matcher  # noqa: E402
from tarjama.glossary.model import Glossary, Term  # noqa: E402
from tarjama.glossary.yaml_io import load_glossary  # noqa: E402
from tarjama.results import Span  # noqa: E402
from tarjama.server.translate.enforce import english  # noqa: E402
from tarjama.server.translate.enforce.draft import trim_function_words  # noqa: E402
from tarjama.server.translate.engine import Engine, EngineOptions  # noqa: E402
from tarjama.server.translate.pipeline import (  # noqa: E402
    DocumentTranslation,
    Pipeline,
    PipelineOptions,
    SentencePair,
)

TESTSET = Path(__file__).resolve().parent / "term_testset.yaml"
TEST_MODEL = ROOT / "tests" / "data" / "test-model"
SEED = ROOT / "seeds" / "000_5cb57f188978d242.txt"


@dataclass(frozen=True)
class Case:
    text: str
    tags: tuple[str, ...]
    expect: tuple[str, ...]
    terms: tuple[Term, ...]
    skip: tuple[str, ...] = ()  # renderings of terms that must be skipped, not applied


@dataclass
class ModelReport:
    model: str
    sentences: int = 0
    expected_terms: int = 0
    correct_terms: int = 0  # placed, at the reported target span, once per hit
    withheld: int = 0  # expected, reported as skipped by the enforcer (see the docstring)
    hits: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    chrf: dict[str, float] = field(default_factory=dict)  # "all" and per costliest method
    chrf_sentences: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    # "all"/"well" -> "plain" or a method -> defect -> count
    defects: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    well_hits: int = 0  # hits in sentences the model translates well
    expected_skips: int = 0
    false_hits: int = 0  # applied although the case expects the term skipped
    missed_skips: int = 0  # expected skipped and not reported so
    cost_ratio: float | None = None  # enforced / plain wall time on the seed article
    cost_ratio_cpu: float | None = None  # the same in CPU time of this process

    def count(self, group: str, column: str, defect: str, number: int = 1) -> None:
        cell = self.defects.setdefault(group, {}).setdefault(column, {})
        cell[defect] = cell.get(defect, 0) + number

    @property
    def accuracy(self) -> float:
        """Expected renderings placed, in percent."""
        return 100.0 * self.correct_terms / self.expected_terms if self.expected_terms else 100.0

    @property
    def found(self) -> float:
        """Expected renderings placed or reported as skipped with a reason, in percent."""
        found = self.correct_terms + self.withheld
        return 100.0 * found / self.expected_terms if self.expected_terms else 100.0


# -- chrF ------------------------------------------------------------------------------------


class ChrF:
    """Corpus chrF (character 1-6-grams, whitespace ignored, beta 2), on a 0-100 scale."""

    ORDER = 6
    BETA = 2.0

    def __init__(self) -> None:
        self.matches = [0] * self.ORDER
        self.hypothesis = [0] * self.ORDER
        self.reference = [0] * self.ORDER

    def add(self, hypothesis: str, reference: str) -> None:
        hyp, ref = re.sub(r"\s+", "", hypothesis), re.sub(r"\s+", "", reference)
        for n in range(1, self.ORDER + 1):
            hyp_grams = Counter(hyp[i : i + n] for i in range(len(hyp) - n + 1))
            ref_grams = Counter(ref[i : i + n] for i in range(len(ref) - n + 1))
            self.matches[n - 1] += sum((hyp_grams & ref_grams).values())
            self.hypothesis[n - 1] += sum(hyp_grams.values())
            self.reference[n - 1] += sum(ref_grams.values())

    def score(self) -> float:
        orders = [n for n in range(self.ORDER) if self.hypothesis[n] and self.reference[n]]
        if not orders:
            return 100.0 if not any(self.hypothesis) and not any(self.reference) else 0.0
        precision = sum(self.matches[n] / self.hypothesis[n] for n in orders) / len(orders)
        recall = sum(self.matches[n] / self.reference[n] for n in orders) / len(orders)
        if precision + recall == 0:
            return 0.0
        beta2 = self.BETA**2
        return 100.0 * (1 + beta2) * precision * recall / (beta2 * precision + recall)


# -- the evaluation --------------------------------------------------------------------------


def load_testset(path: Path) -> tuple[list[tuple[str, Glossary]], list[Case]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    glossaries = []
    for name in data["glossaries"]:
        glossary_path = bundled_glossary_path(name)
        if glossary_path is None:
            raise SystemExit(f"{path}: no bundled glossary named {name!r}")
        glossaries.append((name, load_glossary(glossary_path)))
    cases = [
        Case(
            text=entry["text"],
            tags=tuple(entry.get("tags", ())),
            expect=tuple(entry["expect"]),
            terms=tuple(Term((t["source"],), t["target"]) for t in entry.get("terms", ())),
            skip=tuple(entry.get("skip", ())),
        )
        for entry in data["sentences"]
    ]
    return glossaries, cases


def evaluate(
    name: str,
    engine: Engine,
    glossaries: list[tuple[str, Glossary]],
    cases: Sequence[Case],
    beam_size: int,
) -> ModelReport:
    """Translates the cases (one document per set of inline terms, so the pipeline batches
    them as it would a real document) with and without glossaries."""
    report = ModelReport(name)
    pipeline = Pipeline(model_name=name)
    chrf = {group: ChrF() for group in ("all", *METHODS)}
    by_terms: dict[tuple[Term, ...], list[Case]] = {}
    for case in cases:
        by_terms.setdefault(case.terms, []).append(case)
    for terms, group in by_terms.items():
        text = "\n".join(case.text for case in group)
        enforced = pipeline.translate(
            text,
            translator=engine,
            matcher=Matcher(glossaries, terms),
            options=PipelineOptions(beam_size=beam_size),
        )
        plain = pipeline.translate(
            text,
            translator=engine,
            matcher=Matcher([]),
            options=PipelineOptions(beam_size=beam_size, include_alignment=True),
        )
        start = 0
        for case in group:
            end = start + len(case.text)
            pairs = _pairs_within(enforced, start, end)
            plain_pairs = _pairs_within(plain, start, end)
            _score_case(report, case, enforced.translation, pairs)
            _count_defects(report, case, glossaries, plain, pairs, plain_pairs)
            costliest = max(
                (METHODS.index(hit.method) for pair in pairs for hit in pair.term_hits),
                default=None,
            )
            for pair, plain_pair in zip(pairs, plain_pairs, strict=True):
                hypothesis = _without_terms(enforced.translation, pair)
                reference = _without_term_words(plain.translation, plain_pair, pair)
                chrf["all"].add(hypothesis, reference)
                if costliest is not None:
                    chrf[METHODS[costliest]].add(hypothesis, reference)
                    report.chrf_sentences[METHODS[costliest]] = (
                        report.chrf_sentences.get(METHODS[costliest], 0) + 1
                    )
            start = end + 1
    report.chrf_sentences["all"] = report.sentences
    report.chrf = {
        group: round(metric.score(), 1)
        for group, metric in chrf.items()
        if report.chrf_sentences.get(group)
    }
    return report


def _count_defects(
    report: ModelReport,
    case: Case,
    glossaries: list[tuple[str, Glossary]],
    plain: DocumentTranslation,
    pairs: list[SentencePair],
    plain_pairs: list[SentencePair],
) -> None:
    rules = {t.target: t.article_rule for _, g in glossaries for t in g.terms}
    rules.update({t.target: t.article_rule for t in case.terms})
    plain_text = " ".join(pair.target for pair in plain_pairs)
    # Translated well: no Arabic left, and the model itself wrote every expected name.
    well = not english.has_arabic(plain_text) and all(
        target.lower() in plain_text.lower() for target in case.expect
    )
    groups = ("all", "well") if well else ("all",)
    for pair, plain_pair in zip(pairs, plain_pairs, strict=True):
        found = defects(pair, rules, plain_pair.target)
        own = plain_defects(plain_pair.target, [h.target_term for h in pair.term_hits], rules)
        for group in groups:
            report.well_hits += len(pair.term_hits) if group == "well" else 0
            for method, defect in found:
                report.count(group, method, defect)
            for defect in own:
                report.count(group, "plain", defect)
        # Only edits delete words: an inline copy is the model's own sentence for the
        # injected source, so its other words are the model's too.
        aligned = [hit for hit in pair.term_hits if hit.method == "aligned"]
        deleted = deleted_neighbours(aligned, plain_pair, plain.translation, pair.target)
        for group in groups if deleted else ():
            report.count(group, "aligned", "deleted", deleted)


def _pairs_within(document: DocumentTranslation, start: int, end: int) -> list[SentencePair]:
    return [p for p in document.sentences if start <= p.source_span.start < end]


def _score_case(
    report: ModelReport, case: Case, translation: str, pairs: list[SentencePair]
) -> None:
    report.sentences += 1
    hits = [hit for pair in pairs for hit in pair.term_hits]
    report.hits += len(hits)
    for hit in hits:
        report.methods[hit.method] = report.methods.get(hit.method, 0) + 1
    placed = [
        hit.target_term
        for hit in hits
        if english.same_rendering(
            translation[hit.target_span.start : hit.target_span.end],
            hit.target_term,
            hit.target_span.start == _sentence_start(translation, pairs, hit.target_span.start),
        )
    ]
    once = all(_count_once_per_hit(pair) for pair in pairs)
    remaining = list(placed)
    skipped = [skip.target_term for pair in pairs for skip in pair.skipped_terms]
    withheld = [target for target in skipped if target not in case.skip]
    for target in case.expect:
        if target in remaining and once:
            remaining.remove(target)
            report.correct_terms += 1
        elif target in withheld:
            withheld.remove(target)
            report.withheld += 1
        else:
            report.failures.append(f"{target!r} missing in {case.text!r}")
    report.expected_terms += len(case.expect)
    applied = [hit.target_term for hit in hits]
    for target in case.skip:
        report.expected_skips += 1
        if target in applied:
            report.false_hits += 1
            report.failures.append(f"{target!r} applied, expected skipped, in {case.text!r}")
        elif target not in skipped:
            report.missed_skips += 1
            report.failures.append(f"{target!r} not reported as skipped in {case.text!r}")


def _sentence_start(translation: str, pairs: list[SentencePair], position: int) -> int:
    """Where the sentence holding ``position`` starts its first word."""
    pair = next(p for p in pairs if p.target_span.start <= position <= p.target_span.end)
    return pair.target_span.start + english.sentence_start(pair.target)


def _count_once_per_hit(pair: SentencePair) -> bool:
    targets = [hit.target_term for hit in pair.term_hits]
    for target in set(targets):
        nested = sum(_count(other, target) for other in set(targets) if other != target)
        if _count(pair.target, target) - nested != targets.count(target):
            return False
    return True


def _count(text: str, phrase: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text, flags=re.IGNORECASE))


def _without_terms(translation: str, pair: SentencePair) -> str:
    text = translation[: pair.target_span.end]
    for hit in sorted(pair.term_hits, key=lambda h: h.target_span.start, reverse=True):
        text = text[: hit.target_span.start] + " " + text[hit.target_span.end :]
    return text[pair.target_span.start :]


def _without_term_words(translation: str, plain: SentencePair, enforced: SentencePair) -> str:
    """The plain translation less the words it wrote for the terms: for each hit, an
    occurrence of the rendering itself when the plain translation has one, else the
    longest run of words its alignment links to the term, less articles and prepositions
    at the run's edges (the enforced side loses exactly its renderings; the words the
    alignment head scatters over the rest of the sentence are not the term's)."""
    sentence_start, sentence_end = plain.target_span.start, plain.target_span.end
    words = [
        (m.start(), m.end())
        for m in re.finditer(r"\S+", translation[:sentence_end])
        if m.start() >= sentence_start
    ]
    dropped: list[tuple[int, int]] = []
    for hit in enforced.term_hits:
        copy = next(
            (
                span
                for span in _occurrences(translation, hit.target_term, sentence_start, sentence_end)
                if not any(_overlaps(span, other) for other in dropped)
            ),
            None,
        )
        if copy is None:
            copy = _aligned_run(translation, words, plain, hit.source_span, dropped)
        if copy is not None:
            dropped.append(copy)
    text = translation[:sentence_end]
    for start, end in sorted(dropped, reverse=True):
        text = text[:start] + " " + text[end:]
    return text[sentence_start:]


def _occurrences(text: str, phrase: str, start: int, end: int) -> list[tuple[int, int]]:
    pattern = rf"(?<![\w-]){re.escape(phrase)}(?![\w-])"
    return [m.span() for m in re.compile(pattern, re.IGNORECASE).finditer(text, start, end)]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _aligned_run(
    translation: str,
    words: list[tuple[int, int]],
    plain: SentencePair,
    term: Span,
    dropped: list[tuple[int, int]],
) -> tuple[int, int] | None:
    """The longest run of consecutive words linked to ``term``, trimmed of function words."""
    linked = [
        (link.target.start, link.target.end)
        for link in plain.alignment
        if term.start < link.source.end and link.source.start < term.end
    ]
    inside = [
        any(_overlaps(word, target) for target in linked)
        and not any(_overlaps(word, other) for other in dropped)
        for word in words
    ]
    best: tuple[int, int] | None = None
    index = 0
    while index < len(words):
        if not inside[index]:
            index += 1
            continue
        first = index
        while index < len(words) and inside[index]:
            index += 1
        if best is None or index - first > best[1] - best[0]:
            best = (first, index)
    if best is None:
        return None
    return trim_function_words(translation, words[best[0]][0], words[best[1] - 1][1])


# -- output ----------------------------------------------------------------------------------


def print_tables(reports: Sequence[ModelReport]) -> None:
    print(f"{'model':<12} {'sentences':>9} {'terms':>6} {'hits':>5} {'placed':>9}", end="")
    print("".join(f" {method:>8}" for method in METHODS))
    for report in reports:
        shares = [100.0 * report.methods.get(m, 0) / max(report.hits, 1) for m in METHODS]
        print(
            f"{report.model:<12} {report.sentences:>9} {report.expected_terms:>6} "
            f"{report.hits:>5} {report.accuracy:>8.1f}%"
            + "".join(f" {share:>7.1f}%" for share in shares)
        )
    print("\nchrF of the non-term text against the unconstrained translation")
    print("(sentences grouped by the costliest method they needed; n sentences)")
    print(f"{'model':<12}" + "".join(f" {group:>14}" for group in ("all", *METHODS)))
    for report in reports:
        cells = [
            f"{report.chrf[group]:>6.1f} (n={report.chrf_sentences.get(group, 0):>3})"
            if report.chrf_sentences.get(group)
            else f"{'-':>14}"
            for group in ("all", *METHODS)
        ]
        print(f"{report.model:<12}" + "".join(f" {cell:>14}" for cell in cells))
    print_defects(reports)
    for report in reports:
        for failure in report.failures:
            print(f"FAIL {report.model}: {failure}")


def print_defects(reports: Sequence[ModelReport]) -> None:
    print("\nhits, skips and cost")
    header = f"{'model':<12} {'found':>7} {'withheld':>9} {'false hits':>11} {'skips ok':>9}"
    print(header + f" {'cost (seed)':>22}")
    for report in reports:
        ok = report.expected_skips - report.false_hits - report.missed_skips
        cost = (
            f"{report.cost_ratio:.2f}x (CPU {report.cost_ratio_cpu:.2f}x)"
            if report.cost_ratio is not None and report.cost_ratio_cpu is not None
            else "-"
        )
        print(
            f"{report.model:<12} {report.found:>6.1f}% {report.withheld:>9} "
            f"{100.0 * report.false_hits / max(report.hits, 1):>10.1f}% "
            f"{ok:>4}/{report.expected_skips:<4} {cost:>22}"
        )
    for group, title in (("all", "all sentences"), ("well", "sentences translated well")):
        print(f"\ndefects next to renderings, {title} (plain: the translation without glossary)")
        columns = ("plain", *METHODS)
        print(f"{'model':<12} {'defect':<10}" + "".join(f" {c:>8}" for c in columns))
        for report in reports:
            table = report.defects.get(group, {})
            for defect in DEFECTS:
                cells = "".join(f" {table.get(c, {}).get(defect, 0):>8}" for c in columns)
                print(f"{report.model:<12} {defect:<10}" + cells)
            total = sum(sum(table.get(m, {}).values()) for m in METHODS)
            hits = report.well_hits if group == "well" else report.hits
            print(
                f"{report.model:<12} {'per hit':<10} {total / max(hits, 1):>17.3f} ({total}/{hits})"
            )


def measure_cost(
    engine: Engine, glossaries: list[tuple[str, Glossary]], beam_size: int, seed: Path = SEED
) -> tuple[float | None, float | None]:
    """Enforced / plain translation time of the seed article, in wall time and in this
    process's CPU time, each the best of 5 runs taken in turn (no cache, so every run
    translates every sentence). On a machine shared with other work the wall ratio moves
    with the neighbours; the CPU ratio much less."""
    if not seed.is_file():
        return None, None
    text = seed.read_text(encoding="utf-8")
    pipeline = Pipeline(model_name="cost")
    options = PipelineOptions(beam_size=beam_size)
    matchers = {"plain": Matcher([]), "enforced": Matcher(glossaries)}
    wall = {name: float("inf") for name in matchers}
    cpu = dict(wall)
    pipeline.translate(text, translator=engine, matcher=matchers["plain"], options=options)
    for _ in range(5):
        for name, matcher in matchers.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            pipeline.translate(text, translator=engine, matcher=matcher, options=options)
            wall[name] = min(wall[name], time.perf_counter() - started)
            cpu[name] = min(cpu[name], time.process_time() - started_cpu)
    return wall["enforced"] / wall["plain"], cpu["enforced"] / cpu["plain"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the set, greedy")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the numbers here")
    parser.add_argument("--test-model", type=Path, default=TEST_MODEL, metavar="DIR")
    parser.add_argument("--testset", type=Path, default=TESTSET, metavar="YAML")
    args = parser.parse_args(argv)
    glossaries, cases = load_testset(args.testset)
    if args.quick:
        cases = cases[::4]
    beam_size = 1 if args.quick else 4
    reports = []
    if (args.test_model / "model.bin").is_file():
        engine = Engine(args.test_model, EngineOptions(beam_size=beam_size))
        reports.append(evaluate("test-model", engine, glossaries, cases, beam_size))
        reports[-1].cost_ratio, reports[-1].cost_ratio_cpu = measure_cost(
            engine, glossaries, beam_size
        )
    else:
        print(f"no trained model at {args.test_model}: only the random-weight model is run\n")
    from tests.builders.random_model import build_random_model

    with tempfile.TemporaryDirectory() as work_dir:
        model_dir = build_random_model(Path(work_dir) / "random-tiny")
        # Random weights never stop on their own: cap the length, as the tests do.
        engine = Engine(model_dir, EngineOptions(beam_size=beam_size, max_decoding_length=64))
        reports.append(evaluate("random", engine, glossaries, cases, beam_size))
        reports[-1].cost_ratio, reports[-1].cost_ratio_cpu = measure_cost(
            engine, glossaries, beam_size
        )
    print_tables(reports)
    if args.json:
        numbers = [
            asdict(report) | {"accuracy": report.accuracy, "found": report.found}
            for report in reports
        ]
        args.json.write_text(json.dumps(numbers, indent=2, ensure_ascii=False) + "\n")
    return 0 if all(report.found == 100.0 for report in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
