"""tarjama.server.translate: text in, a DocumentTranslation out, without gRPC.

The stages, in the order one request's text passes them:

- :mod:`.segment`: sentences and code-point spans, paragraphs kept;
- :mod:`.enforce`: glossary hits planned, injected into the source and placed in the
  English (the package's ``__init__`` lists its rounds);
- :mod:`.engine`: SentencePiece and CTranslate2, with word alignment; :mod:`.tokens` turns
  pieces back into words with spans;
- :mod:`.cache`: sentences already translated with the same glossaries and options;
- :mod:`.assemble`: sentence results joined into one document, spans rebased;
- :mod:`.pipeline`: the stages run in order, for many sentences at once.
"""
