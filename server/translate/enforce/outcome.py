"""What enforcing one sentence gives back: its English, the hits placed and skipped."""

from __future__ import annotations

from dataclasses import dataclass

from tarjama.results import SkippedTerm, Span
from tarjama.server.translate.enforce.draft import HitPlan


@dataclass(frozen=True)
class PlacedHit:
    hit: HitPlan
    span: tuple[int, int]  # of the rendering in the final sentence translation
    method: str


@dataclass(frozen=True)
class EnforcedSentence:
    text: str
    score: float
    hits: tuple[PlacedHit, ...]
    # (sentence span, target span) of the words outside the renderings
    links: tuple[tuple[tuple[int, int], tuple[int, int]], ...]
    # hits not applied after all, with the reason: the model read the words as something
    # other than the name, or the rendering would have stood glued to another
    skipped: tuple[tuple[HitPlan, str], ...] = ()

    def skipped_terms(self, exclude_clitics: bool) -> tuple[SkippedTerm, ...]:
        """:attr:`skipped` as reported (spans without the proclitics when asked)."""
        return tuple(
            SkippedTerm(
                glossary=hit.glossary,
                source_term=hit.source_form,
                target_term=hit.target,
                source_span=Span(hit.term_start if exclude_clitics else hit.start, hit.end),
                reason=reason,
            )
            for hit, reason in self.skipped
        )
