"""Glossary enforcement: every hit's rendering placed in the English, and reported.

One sentence goes through rounds (:mod:`.rounds`): the renderings are injected inline into
the source (:mod:`.draft` builds the injected source and the draft English); the model's
output is checked, each rendering placed where the model copied it or at the target span
aligned to its source term; what is still missing is re-decoded with a forced target
prefix. :mod:`.repair` then tidies the draft around the renderings (duplicates, doubled
edges, glued words).
"""

from tarjama.server.translate.enforce.draft import HitPlan
from tarjama.server.translate.enforce.rounds import (
    ALIGNED,
    INLINE,
    PREFIX,
    EnforcedSentence,
    PlacedHit,
    SentenceEnforcer,
)

__all__ = [
    "ALIGNED",
    "INLINE",
    "PREFIX",
    "EnforcedSentence",
    "HitPlan",
    "PlacedHit",
    "SentenceEnforcer",
]
