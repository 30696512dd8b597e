"""Glossary enforcement: every hit's rendering placed in the English, and reported.

One sentence goes through rounds (:mod:`.rounds`): the plain decode first, used as it is
where the model already wrote every rendering; else the renderings are injected inline
into the source (:mod:`.draft` builds the injected source and the draft English) and each
rendering is placed where the model copied it or at the target span aligned to its source
term, in that decode or in the plain one. :mod:`.repair` then tidies
the English around the renderings (duplicates, doubled edges, glued words, the article,
the capital; :mod:`.english` holds the checks), and :mod:`.stacking` joins renderings
spliced together as the Arabic joins their terms, or withholds one that would stand glued
to another. Before any of it, :mod:`.ambiguity` decides which hits are the name and which
are skipped (an adjective, an ordinary word, a term's context rule); after the plain
decode, the model's own reading of a doubtful term can skip it too.
"""

from tarjama.server.translate.enforce.ambiguity import plan_hits
from tarjama.server.translate.enforce.draft import HitPlan
from tarjama.server.translate.enforce.outcome import EnforcedSentence, PlacedHit
from tarjama.server.translate.enforce.rounds import ALIGNED, INLINE, MODEL, SentenceEnforcer

__all__ = [
    "ALIGNED",
    "INLINE",
    "MODEL",
    "EnforcedSentence",
    "HitPlan",
    "PlacedHit",
    "SentenceEnforcer",
    "plan_hits",
]
