"""Whether a glossary hit is the name, or an ordinary word that is spelled like it.

«تلقى النظام دعماً روسياً» is "Russian support", not Russia; «مصادر سورية» are "Syrian
sources"; «صلاة المغرب» is the sunset prayer, not Morocco. Placing the rendering there
damages the sentence, so such a hit is skipped and reported with its reason.

Users' glossaries mark nothing, so the automatic evidence, read in the Arabic, comes first
and holds for every term:

* tanween («ـاً», «ـٌ», «ـٍ») on the word: names of places and people do not take it,
  adverbs and indefinite adjectives do («روسياً»);
* an indefinite nisba after an indefinite noun: a term ending in ـية with no article or
  proclitic, right after a plural («مصادر»، «قوات») or a feminine noun («طائرة»), is the
  adjective agreeing with it;
* for terms marked ``ambiguous``: a definite nisba adjective right after the term
  («القاعدة الروسية», the Russian base), which an ordinary noun takes and a name does not.

Marks refine it: ``skip_when`` patterns («صلاة *»), ``apply_when`` patterns (the only
contexts where the term is the name: «قرب *» for تدمر), and ``guard`` terms, which keep
shorter terms off their words and place nothing.

Last, the model's own reading of the span in the plain translation (:func:`model_reading`,
asked by the enforcer once it has that translation): where the model wrote an ordinary
word for it («بحماس» → "eagerly", «تدمر» → "destroys") or the adjective («سورية» →
"Syrian"), and not the rendering, the hit is skipped (by an enforcer whose caller reports
its skips: ``SentenceEnforcer(can_skip=True)``). Only for a *doubtful* term
(:func:`doubtful`: marked ``ambiguous``, given context rules, or a nisba form that can be
the adjective): a weak model writes lower-case words for names it does not know, and an
unmarked name is not dropped on that.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from tarjama.glossary.matcher import Match
from tarjama.glossary.normalize import WORD, normalize_text
from tarjama.results import SkippedTerm, Span
from tarjama.server.translate.enforce.draft import HitPlan

_TANWEEN = frozenset("\u064b\u064c\u064d")
_ARABIC_WORD = re.compile(r"[\u0600-\u06ff\u0750-\u077f]+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_ADJECTIVE_ENDINGS = ("n", "i", "ese", "ish")
# Particles and prepositions: the word after them is not an adjective agreeing with them.
_PARTICLES = frozenset(
    normalize_text(word)
    for word in (
        "في", "إلى", "من", "عن", "على", "مع", "بين", "حول", "قرب", "نحو", "عبر", "ضد", "بعد",
        "قبل", "خلال", "لدى", "عند", "أن", "إن", "لأن", "كما", "حيث", "ثم", "أو", "لكن", "التي",
        "الذي", "الذين", "هذه", "هذا", "تلك", "ذلك", "أيضا", "حتى", "منذ", "دون", "غير", "أمس",
        "اليوم", "غدا", "قال", "قالت", "أكد", "أكدت", "زار", "زارت", "دعا", "دعت",
    )
)  # fmt: skip


ENFORCE = "enforce"
SKIP = "skip"
GUARD = "guard"


@dataclass(frozen=True)
class Decision:
    """What translation does with one match in its sentence: ``enforce`` it, ``skip`` it
    (``reason`` says why), or nothing, for a ``guard`` (it only keeps shorter terms off its
    words). ``doubtful``: an enforced hit that the model's reading of the plain
    translation may still skip (:func:`doubtful`, :func:`model_reading`)."""

    match: Match
    action: str
    reason: str | None = None
    doubtful: bool = False


def decide(sentence: str, match: Match) -> Decision:
    """The one decision, for translation and for ``tarjama glossary match`` alike."""
    if match.term.guard:
        return Decision(match, GUARD, "a guard: keeps shorter terms off these words")
    reason = skip_reason(sentence, match)
    if reason is not None:
        return Decision(match, SKIP, reason)
    return Decision(match, ENFORCE, doubtful=doubtful(sentence, match))


def skip_reason(sentence: str, match: Match) -> str | None:
    """Why the words of ``match`` are not the name, or None when nothing says so."""
    term = match.term
    word = sentence[match.term_start : match.term_end]
    if _TANWEEN & set(word[-2:]):
        return "tanween: an adverb or an indefinite adjective, not a name"
    before = _words(sentence[: match.start])
    after = _words(sentence[match.end :])
    proclitic = normalize_text(match.proclitic)
    if not proclitic and _is_indefinite_nisba(word) and before and _agrees(before[-1]):
        return f"an adjective agreeing with «{_shown(sentence[: match.start], -1)}», not a name"
    if term.ambiguous and after and _is_definite_nisba(after[0]):
        return f"an ordinary noun described by «{_shown(sentence[match.end :], 0)}», not a name"
    context = _context(before, proclitic, after)
    for pattern in term.skip_when:
        if _pattern(pattern).search(context):
            return f"context rule {pattern!r}"
    if term.apply_when and not any(_pattern(p).search(context) for p in term.apply_when):
        return "no apply_when context: " + ", ".join(repr(p) for p in term.apply_when)
    return None


def doubtful(sentence: str, match: Match) -> bool:
    """The term's words may be an ordinary word here, so the model's reading decides too:
    the term is marked ``ambiguous`` or has context rules, or its word is a nisba form
    (ـية) that can be the adjective («مصادر سورية», Syrian sources)."""
    term = match.term
    if term.ambiguous or term.skip_when or term.apply_when:
        return True
    return _is_indefinite_nisba(sentence[match.term_start : match.term_end])


def model_reading(words: str, rendering: str, arabic_words: int) -> str | None:
    """Why ``words``, the plain translation's words for a doubtful term of
    ``arabic_words`` words, show the model read it as something other than the name
    ``rendering``; None when they don't. An ordinary word translates to a word or two
    ("eagerly", "sunset prayer"); a longer run is a sentence the model made up around a
    word it did not know ("bombers took off from bases"), which says nothing either way."""
    found = _LATIN_WORD.findall(words)
    if not found or words.strip() == rendering or len(found) > arabic_words + 1:
        return None
    if all(word.islower() for word in found):
        return f'the model reads it as an ordinary word, "{words.strip()}", not a name'
    if len(found) == 1 and _is_adjective_of(found[0], rendering.split()[-1]):
        return f'the model reads it as the adjective "{found[0]}", not the name'
    return None


def _is_adjective_of(word: str, name: str) -> bool:
    """ "Syrian" for "Syria", "Iraqi" for "Iraq", "Lebanese" for "Lebanon"."""
    word, name = word.lower(), name.lower()
    if word == name or not word.endswith(_ADJECTIVE_ENDINGS):
        return False
    stem = name[: max(3, len(name) - 2)]
    return word.startswith(stem) and len(word) > len(stem)


def _words(text: str) -> list[str]:
    return WORD.findall(normalize_text(text))


def _shown(text: str, index: int) -> str:
    """A neighbouring word as the sentence writes it, for a reason's message."""
    return text.split()[index].strip("«»\"'()،,.:؛")


def _is_indefinite_nisba(word: str) -> bool:
    normalized = normalize_text(word)
    return normalized.endswith("يه") and not normalized.startswith("ال")


def _is_definite_nisba(word: str) -> bool:
    return word.startswith("ال") and (word.endswith("يه") or word.endswith("ي")) and len(word) > 4


def _agrees(word: str) -> bool:
    """An indefinite noun an adjective can follow: a sound plural, a feminine noun, or a
    broken plural of the common مفاعل / مفاعيل shapes."""
    if word.startswith("ال") or word in _PARTICLES or not _ARABIC_WORD.fullmatch(word):
        return False
    if word.endswith(("ات", "ون", "ين", "ه")) and len(word) > 3:
        return True
    return len(word) in (5, 6) and word[2] == "ا" and word[0] == "م"


def _context(before: list[str], proclitic: str, after: list[str]) -> str:
    """The sentence as patterns see it: normalised words, the term as ``proclitic*``."""
    return " ".join((*before, proclitic + "*", *after))


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    """«صلاة *» → the word before is صلاه; «ب*» → ب attached; «...» → any words."""
    parts = []
    for token in pattern.split():
        if token == "...":
            parts.append(r"(?:\S+ )*?")
            continue
        if "*" in token:
            prefix = normalize_text(token.replace("*", ""))
            parts.append(re.escape(prefix) + r"\*" if prefix else r"\S*\*")
        else:
            parts.append(re.escape(normalize_text(token)))
        parts.append(" ")
    body = "".join(parts).rstrip(" ")
    return re.compile(rf"(?:^| ){body}(?: |$)")


def plan_hits(
    sentence: str, matches: Sequence[Match], exclude_clitics: bool
) -> tuple[tuple[HitPlan, ...], tuple[SkippedTerm, ...]]:
    """The hits to enforce in ``sentence`` and the skipped terms to report (spans relative
    to the sentence; without the proclitics when ``exclude_clitics``); guards are neither."""
    decisions = [decide(sentence, match) for match in matches]
    reported = tuple(
        SkippedTerm(
            glossary=d.match.glossary,
            source_term=d.match.source_form,
            target_term=d.match.target,
            source_span=Span(d.match.term_start if exclude_clitics else d.match.start, d.match.end),
            reason=d.reason or "",
        )
        for d in decisions
        if d.action == SKIP
    )
    plans = tuple(
        dataclasses.replace(HitPlan.from_match(d.match, 0), ambiguous=d.doubtful)
        for d in decisions
        if d.action == ENFORCE
    )
    return plans, reported
