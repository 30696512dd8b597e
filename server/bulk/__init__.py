"""tarjama.server.bulk: `tarjama batch`, corpora translated without gRPC.

:mod:`.rows` reads documents (JSON Lines or Parquet) and writes one result row per
document, resumably; :mod:`.local` translates them in this process with the server's own
backend (sentences of many documents batched together); :mod:`.ray_job` runs the same
translation of rows on Ray Data, an actor per model.
"""
