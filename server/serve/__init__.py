"""tarjama.server.serve: the gRPC edge.

:mod:`.config` reads the settings, :mod:`.app` builds and runs the server (with
:mod:`.auth` and :mod:`.logs`), :mod:`.service` answers the calls and :mod:`.messages`
converts between the pipeline and ``tarjama.v1``; :mod:`.batcher` (over
:mod:`.batch_queue`) merges sentences of concurrent calls into engine batches;
:mod:`.metrics` exports Prometheus metrics.
"""
