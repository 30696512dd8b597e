"""`tarjama batch` lays out CTranslate2's threads for throughput unless told otherwise."""

from __future__ import annotations

import pytest

from tarjama.server.bulk.ray_job import batches_per_actor
from tarjama.server.bulk.threads import BULK_MAX_WAIT_MS, default_jobs, for_throughput
from tarjama.server.serve.config import ServerConfig

SERVER = ServerConfig(intra_threads=4)  # the server's layout: one batch, every core


def layout(config: ServerConfig) -> tuple[int, int, int]:
    return config.inter_threads, config.intra_threads, config.batch_workers


def test_a_batch_job_runs_a_one_thread_batch_per_core() -> None:
    job = for_throughput(SERVER, 4, environ={})

    assert layout(job) == (4, 1, 4)
    assert default_jobs(job) == 128  # 32 documents in flight per batch


@pytest.mark.parametrize(
    "variable", ["TARJAMA_INTER_THREADS", "TARJAMA_INTRA_THREADS", "TARJAMA_BATCH_WORKERS"]
)
def test_threads_set_in_the_environment_are_kept(variable: str) -> None:
    assert layout(for_throughput(SERVER, 4, environ={variable: "2"})) == layout(SERVER)


def test_a_gpu_keeps_one_batch_at_a_time() -> None:
    on_gpu = ServerConfig(device="cuda", intra_threads=4)

    assert layout(for_throughput(on_gpu, 4, environ={})) == layout(on_gpu)


def test_a_batch_job_waits_longer_for_company_unless_told() -> None:
    assert for_throughput(SERVER, 4, environ={}).max_wait_ms == BULK_MAX_WAIT_MS
    told = {"TARJAMA_MAX_WAIT_MS": "5"}
    assert for_throughput(SERVER, 4, environ=told).max_wait_ms == SERVER.max_wait_ms


def test_a_node_of_one_core_still_gets_a_worker() -> None:
    assert layout(for_throughput(SERVER, 0, environ={})) == (1, 1, 1)


@pytest.mark.parametrize(("jobs", "batches"), [(1, 2), (32, 2), (33, 3), (64, 3)])
def test_a_ray_actor_takes_one_batch_of_rows_more_than_its_jobs_fill(jobs: int, batches: int):
    assert batches_per_actor(jobs) == batches  # batches of BATCH_ROWS = 32 rows
