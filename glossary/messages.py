"""Glossaries and terms to and from their tarjama.v1 messages.

The client and the server both convert; one module keeps the two sides of the wire
reading and writing the same fields the same way.
"""

from __future__ import annotations

from tarjama.glossary.model import Glossary, Term
from tarjama.v1 import translator_pb2 as pb


def term_to_proto(term: Term) -> pb.Term:
    return pb.Term(
        source=list(term.sources),
        target=term.target,
        kind=term.kind,
        note=term.note,
        exact=term.exact,
    )


def term_from_proto(message: pb.Term) -> Term:
    """An empty kind on the wire is the schema's default, "other"."""
    return Term(
        sources=tuple(message.source),
        target=message.target,
        kind=message.kind or "other",
        note=message.note,
        exact=message.exact,
    )


def glossary_to_proto(glossary: Glossary, *, with_terms: bool = True) -> pb.Glossary:
    return pb.Glossary(
        name=glossary.name,
        version=glossary.version or 0,
        description=glossary.description,
        source_language=glossary.source_language,
        target_language=glossary.target_language,
        terms=[term_to_proto(term) for term in glossary.terms] if with_terms else [],
        term_count=len(glossary.terms),
    )


def glossary_from_proto(message: pb.Glossary) -> Glossary:
    return Glossary(
        name=message.name,
        terms=tuple(term_from_proto(term) for term in message.terms),
        description=message.description,
        source_language=message.source_language or "ar",
        target_language=message.target_language or "en",
        version=message.version or None,
    )
