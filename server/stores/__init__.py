"""tarjama.server.stores: what the server keeps on disk.

:mod:`.glossaries` holds the glossary folder (versions, writes), built on
:mod:`.glossary_folder` (reloads of files people edit), :mod:`.glossary_disk` (crash-safe
files, what the store keeps beside them) and :mod:`.glossary_records` (what it hands out,
its errors); :mod:`.models` installs models, fetched by :mod:`.download` and built by
:mod:`.convert`, into the registry of :mod:`.model_registry`; :mod:`.manifest` reads and
writes the record a built model carries.
"""
