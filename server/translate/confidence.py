"""How far to trust one sentence's translation, and why a person should check it.

The model's own view is its length-normalised log-probability (``SentenceResult.score``,
the average log-probability per target token): ``exp(score)`` is the geometric mean
probability of the tokens it chose. What the pipeline can see on top of it lowers that:

* ``term_not_copied``: a glossary rendering the model did not copy from the injected
  source, placed by editing its English (method ``aligned``): the words around
  it were written for another word;
* ``skipped_term``: a glossary term found and deliberately not applied (the ambiguity
  rules decided it is not the name here: worth a look);
* ``length_ratio``: the English far shorter or longer than Arabic→English sentences are
  (a dropped clause, a loop);
* ``arabic_left``: Arabic letters in the English (a word the model could not translate);
* ``repetition``: a phrase repeated more often in the English than any phrase is in the
  Arabic, as a model does when it loops.

Each kind of reason multiplies the confidence by its factor once (eight terms placed by
replacement are one doubt about the sentence, not eight); ``low_score`` is the model's own
probability under :data:`LOW_PROBABILITY`. A sentence with any reason needs review.
``bench/confidence.py`` measures how well this separates good from bad translations on
the trained test model; the thresholds are set from it and from the ratios
of real Arabic→English text, and are not calibrated for every model.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace

from tarjama.glossary import contains_arabic_letter
from tarjama.glossary.normalize import normalize_text
from tarjama.results import ReviewReason
from tarjama.server.translate.assemble import SentenceResult

# Below this geometric mean token probability (score < -0.29) the model itself was
# unsure. Set on the trained test model (bench/confidence.py): it averages 0.93 on its
# held-out sentences; under 0.75 are 67% of its bad translations (chrF < 80) and 2% of its
# good ones (chrF >= 95). A model trained with label smoothing (OPUS-MT) is less peaked:
# check the threshold against its own good translations before trusting the flag.
LOW_PROBABILITY = 0.75
# English characters per Arabic character: about 1.2 in news text (0.75-1.8 over 2,000
# held-out test-model pairs); far outside the band a clause was dropped or looped.
# Short sentences are left out: a label's ratio says nothing ("مشاركة :" → "Share:").
LENGTH_RATIO_BAND = (0.5, 2.6)
MIN_CHARACTERS_FOR_RATIO = 20
# A phrase of this many words is a repetition when it occurs more often in the English
# than any phrase of REPEAT_SOURCE_WORDS words occurs in the Arabic ("US Secretary of
# State" twice translates two «وزير الخارجية الأميركي»).
REPEAT_TARGET_WORDS = 3
REPEAT_SOURCE_WORDS = 2

FACTORS = {
    "term_not_copied": 0.85,
    "skipped_term": 0.9,
    "length_ratio": 0.5,
    "arabic_left": 0.5,
    "repetition": 0.5,
}
TRUSTED_METHODS = frozenset(("model", "inline"))

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def assess(source: str, result: SentenceResult) -> SentenceResult:
    """``result`` with its confidence and review reasons for the translation of ``source``."""
    reasons = review_reasons(source, result)
    probability = math.exp(min(result.score, 0.0))
    confidence = probability
    for code in {reason.code for reason in reasons}:
        confidence *= FACTORS.get(code, 1.0)
    return replace(result, confidence=round(confidence, 4), review_reasons=tuple(reasons))


def review_reasons(source: str, result: SentenceResult) -> list[ReviewReason]:
    target = result.target
    reasons: list[ReviewReason] = []
    probability = math.exp(min(result.score, 0.0))
    if probability < LOW_PROBABILITY:
        reasons.append(
            ReviewReason(
                "low_score", f"token probability {probability:.2f} (score {result.score:.2f})"
            )
        )
    for hit in result.term_hits:
        if hit.method not in TRUSTED_METHODS:
            reasons.append(
                ReviewReason(
                    "term_not_copied", f"{hit.target_term!r} placed by {hit.method} replacement"
                )
            )
    for skip in result.skipped_terms:
        reasons.append(
            ReviewReason("skipped_term", f"{skip.source_term} → {skip.target_term}: {skip.reason}")
        )
    ratio = _length_ratio(source, target)
    if ratio is not None and not LENGTH_RATIO_BAND[0] <= ratio <= LENGTH_RATIO_BAND[1]:
        reasons.append(ReviewReason("length_ratio", f"{ratio:.2f} English characters per Arabic"))
    if contains_arabic_letter(target):
        reasons.append(ReviewReason("arabic_left", "Arabic letters in the English"))
    repeated = _repeated_phrase(source, target)
    if repeated:
        reasons.append(ReviewReason("repetition", f"{repeated!r} repeated"))
    return reasons


def _length_ratio(source: str, target: str) -> float | None:
    source_chars = len("".join(source.split()))
    if source_chars < MIN_CHARACTERS_FOR_RATIO:
        return None
    return len("".join(target.split())) / source_chars


def _repeated_phrase(source: str, target: str) -> str:
    """The English phrase repeated more often than any Arabic one, or ""."""
    target_words = [word.lower() for word in _WORD.findall(target)]
    phrases = Counter(_ngrams(target_words, REPEAT_TARGET_WORDS))
    if not phrases:
        return ""
    phrase, count = phrases.most_common(1)[0]
    source_words = [normalize_text(word) for word in _WORD.findall(source)]
    source_phrases = Counter(_ngrams(source_words, REPEAT_SOURCE_WORDS))
    source_most = max(source_phrases.values(), default=1)
    return " ".join(phrase) if count > max(source_most, 1) else ""


def _ngrams(words: list[str], size: int) -> list[tuple[str, ...]]:
    return [tuple(words[index : index + size]) for index in range(len(words) - size + 1)]
