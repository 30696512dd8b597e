"""Defects next to glossary renderings, for ``bench/eval_terms.py``.

Each check reads the English as its reader would (see
``tarjama.server.translate.enforce.english``): the article against the term's rule, two
renderings stacked without the words between them, a rendering absorbed into a longer
name, a lower-case start, Arabic left over, and words the plain translation wrote next to
a term that an aligned edit deleted. The same checks run on the plain translation, at the
renderings it wrote itself, so the two can be read side by side.
"""

from __future__ import annotations

import re
from collections import Counter

from tarjama.results import SentencePair, TermHit
from tarjama.server.translate.enforce import english

METHODS = ("model", "inline", "aligned")  # cheapest first
DEFECTS = ("article", "stacked", "deleted", "absorbed", "lowercase", "arabic")


def method_rank(method: str) -> int:
    return METHODS.index(method) if method in METHODS else len(METHODS)


def defects(pair: SentencePair, rules: dict[str, str], plain: str) -> list[tuple[str, str]]:
    """(method, defect) for each defect next to a rendering of ``pair``."""
    text, offset = pair.target, pair.target_span.start
    spans = sorted(
        (h.target_span.start - offset, h.target_span.end - offset, h) for h in pair.term_hits
    )
    found = []
    for index, (start, end, hit) in enumerate(spans):
        if _article_wrong(text, start, end, hit.target_term, rules, plain):
            found.append((hit.method, "article"))
        if index + 1 < len(spans) and english.stacked(text, end, spans[index + 1][0]):
            found.append((hit.method, "stacked"))
        rest = text[end:].lstrip(" -")
        if english.continues_name(text, end) and not any(
            rest.startswith(other.target_term) for _, _, other in spans
        ):
            found.append((hit.method, "absorbed"))
    if pair.term_hits:
        method = max((h.method for h in pair.term_hits), key=method_rank)
        if english.lowercase_start(text):
            found.append((method, "lowercase"))
        if english.has_arabic(text):
            found.append((method, "arabic"))
    return found


def _article_wrong(
    text: str, start: int, end: int, target: str, rules: dict[str, str], plain: str
) -> bool:
    rule = rules.get(target, "model")
    if target.split()[0].lower() in english.DETERMINERS:
        return False
    if rule == "model":
        spots = [m.start() for m in re.finditer(re.escape(target), plain)]
        if not spots:
            return False
        rule = "the" if english.has_article(plain, spots[0]) else "none"
    has = english.has_article(text, start)
    if rule == "the":
        return not has and not _capital_before(text, start)
    before = english.word_before(text, start)
    own = english.article_is_own(text, end)
    return before is not None and before.group(1).lower() == "the" and own


def _capital_before(text: str, start: int) -> bool:
    """A capitalised word mid-sentence before the rendering ("Syrian Foreign Ministry")."""
    before = english.word_before(text, start)
    return before is not None and before.group(1)[0].isupper() and before.start(1) > 0


def plain_defects(text: str, targets: list[str], rules: dict[str, str]) -> list[str]:
    """The same checks on the plain translation, at the renderings it wrote itself."""
    found = []
    spans = sorted(span for target in set(targets) for span in _occurrences(text, target))
    for index, (start, end, target) in enumerate(spans):
        lacks = not english.has_article(text, start) and not _capital_before(text, start)
        if rules.get(target) == "the" and lacks:
            found.append("article")
        if rules.get(target) == "none":
            before = english.word_before(text, start)
            if before is not None and before.group(1).lower() == "the":
                found.append("article")
        if index + 1 < len(spans) and english.stacked(text, end, spans[index + 1][0]):
            found.append("stacked")
        if english.continues_name(text, end):
            found.append("absorbed")
    if english.lowercase_start(text):
        found.append("lowercase")
    if english.has_arabic(text):
        found.append("arabic")
    return found


def _occurrences(text: str, target: str) -> list[tuple[int, int, str]]:
    pattern = rf"(?<![\w-]){re.escape(target)}(?![\w-])"
    return [(m.start(), m.end(), target) for m in re.finditer(pattern, text)]


def deleted_neighbours(
    hits: list[TermHit], plain_pair: SentencePair, plain_translation: str, enforced: str
) -> int:
    """Words the plain translation wrote right next to the words of the terms of ``hits``
    that the enforced sentence lost (as a multiset of lower-case words)."""
    if not hits:
        return 0
    term_sources = [hit.source_span for hit in hits]
    aligned = [
        link.target
        for link in plain_pair.alignment
        if any(s.start < link.source.end and link.source.start < s.end for s in term_sources)
    ]
    words = list(re.finditer(r"[A-Za-z][\w'-]*", plain_translation))
    words = [
        w for w in words if plain_pair.target_span.start <= w.start() < plain_pair.target_span.end
    ]
    inside = [any(t.start <= w.start() < t.end for t in aligned) for w in words]
    neighbours = Counter(
        words[i].group().lower()
        for i in range(len(words))
        if not inside[i] and ((i > 0 and inside[i - 1]) or (i + 1 < len(words) and inside[i + 1]))
    )
    kept = Counter(w.lower() for w in re.findall(r"[A-Za-z][\w'-]*", enforced))
    return sum((neighbours - kept).values())
