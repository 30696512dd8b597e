"""How `tarjama batch` lays out a model's CTranslate2 threads: for throughput.

A server answers people waiting on one document, so each batch gets every core
(``intra_threads`` = cores) and a lone request decodes fast. A corpus job waits on
nobody: it translates one batch per core at once, each with one thread
(``inter_threads`` = cores, ``intra_threads`` 1, a batcher worker per batch), the layout
CTranslate2 recommends for throughput. A one-thread decode never waits for a second
thread at a step, and one batch's Python work (segmenting, assembling, writing rows)
overlaps another batch's decode; on 2 cores this made the in-process job about 1.25×
faster (bench/RESULTS.md). ``TARJAMA_INTER_THREADS``, ``TARJAMA_INTRA_THREADS`` or
``TARJAMA_BATCH_WORKERS`` in the environment keep the threads as set.

For the same reason a corpus job's batch may wait longer for company (``max_wait_ms``
``BULK_MAX_WAIT_MS``, unless ``TARJAMA_MAX_WAIT_MS`` sets it): the first documents reach
the batcher a few milliseconds apart while they are read and segmented, and with the
server's 5 ms the first calls held one sentence each, each costing a good part of a full
batch's decode. Once batches have run, the wait between arrivals is held to a small share
of a decode all the same (``batch_policy``), and a job's queue is rarely short but at its
start and end.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from tarjama.server.serve.config import ServerConfig, env_name

THREAD_SETTINGS = ("inter_threads", "intra_threads", "batch_workers")
BULK_MAX_WAIT_MS = 200
# Documents in flight per batch at once. A document's sentences come back in the batches
# that took them, and it leaves (making room for the next) only when its last one is back,
# so a worker's next batch fills only if the documents still waiting on the others hold a
# whole batch more: with 8 per worker the calls held 20 sentences on average of 32, with
# 32 per worker all but the first and last were full (news documents of 2-6 sentences,
# bench/RESULTS.md).
DOCUMENTS_PER_WORKER = 32


def for_throughput(
    config: ServerConfig, cores: int, environ: Mapping[str, str] | None = None
) -> ServerConfig:
    """``config`` with ``cores`` one-thread batches at once, unless the environment sets
    the threads or the model runs on a GPU (one batch at a time fills it), and batches
    that wait up to ``BULK_MAX_WAIT_MS`` for company."""
    environ = os.environ if environ is None else environ
    if env_name("max_wait_ms") not in environ:
        config = replace(config, max_wait_ms=max(config.max_wait_ms, BULK_MAX_WAIT_MS))
    if not _on_cpu(config.device) or any(env_name(name) in environ for name in THREAD_SETTINGS):
        return config
    workers = max(1, cores)
    return replace(config, inter_threads=workers, intra_threads=1, batch_workers=workers)


def default_jobs(config: ServerConfig) -> int:
    """Documents in flight for one model: enough for every batcher worker's batch."""
    return DOCUMENTS_PER_WORKER * config.batch_workers


def _on_cpu(device: str) -> bool:
    if device != "auto":
        return device == "cpu"
    import ctranslate2  # "auto" is CUDA where CTranslate2 sees a GPU

    return ctranslate2.get_cuda_device_count() == 0
