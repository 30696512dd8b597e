"""tarjama.server.stores: what the server keeps on disk.

:mod:`.glossaries` holds the glossary folder (versions, writes, reloads); :mod:`.models`
the installed models, fetched by :mod:`.download` and built by :mod:`.convert`;
:mod:`.manifest` reads and writes the record a built model carries.
"""
