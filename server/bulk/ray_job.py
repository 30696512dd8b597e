"""The same rows translated on Ray Data: the input read by Ray, an actor pool of models.

``read_json``/``read_parquet`` → ``filter`` (ids an earlier run wrote) → ``map_batches``
with an actor pool, each actor one :class:`BulkTranslator` (one model; its node's cores
divided among the actors, laid out for throughput by :mod:`.threads`) → result batches
streamed back to the driver, which writes them with the same :class:`Sink` as the
in-process path, so output and resuming are the same on both.

Without an address a local Ray starts on loopback, with its files under ``temp_dir`` and
usage reporting off. Each actor asks for less than one CPU so that Ray's read tasks
always find one: with whole CPUs, two actors on two cores would starve the reader. An
actor keeps ``jobs`` documents in flight on its model, whichever of its batches they
come from, and takes one batch more than those fill (:func:`batches_per_actor`), so its
model never waits for the next one. The first batches are handed out only once every
actor has loaded its model (``ACTOR_START_TIMEOUT_S``): Ray gives a batch to the least
busy actor that is ready, and the first actor ready would otherwise take several batches
while the others still load, which leaves them idle on a small corpus.
Rows need an ``id`` column here (the in-process path numbers rows that have none).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tarjama.server.bulk.rows import OUTPUT_COLUMNS, BulkInputError
from tarjama.server.bulk.threads import default_jobs, for_throughput
from tarjama.server.serve.config import ServerConfig

if TYPE_CHECKING:
    from tarjama.server.translate.engine import Engine

ACTOR_CPU_SHARE = 0.5
BATCH_ROWS = 32
# Ray puts Unix sockets ~60 characters deep below its folder; their paths end at 107.
MAX_TEMP_DIR = 40
# How long every actor may take to start (Ray, its imports, the model) before the job
# fails saying so: on a cluster too small for the pool, Ray would otherwise wait forever.
ACTOR_START_TIMEOUT_S = 600


def run_ray(
    inputs: Sequence[Path],
    write: Callable[[dict[str, Any]], None],
    config: ServerConfig,
    *,
    done: set[str],
    address: str | None,
    actors: int,
    temp_dir: Path,
    jobs: int | None,
    document_terms: bool = True,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    with ray_session(address, temp_dir) as ray:
        translate_on_ray(
            ray,
            inputs,
            write,
            config,
            done=done,
            actors=actors,
            jobs=jobs,
            document_terms=document_terms,
            on_row=on_row,
        )


@contextmanager
def ray_session(address: str | None, temp_dir: Path) -> Iterator[Any]:
    """The ``ray`` module, connected to the cluster at ``address`` or to a new local Ray."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise BulkInputError("--ray needs Ray: pip install 'tarjama[batch]'") from None
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        if len(str(temp_dir.resolve())) > MAX_TEMP_DIR:
            raise BulkInputError(
                f"Ray's folder {temp_dir} is too long a path for the sockets Ray keeps in it "
                f"(at most {MAX_TEMP_DIR} characters): choose a shorter --ray-dir"
            )
        temp_dir.mkdir(parents=True, exist_ok=True)
        ray.init(
            num_cpus=os.cpu_count() or 1,
            include_dashboard=False,
            _temp_dir=str(temp_dir.resolve()),
            _node_ip_address="127.0.0.1",
            log_to_driver=False,
        )
    try:
        yield ray
    finally:
        ray.shutdown()


def translate_on_ray(
    ray: Any,
    inputs: Sequence[Path],
    write: Callable[[dict[str, Any]], None],
    config: ServerConfig,
    *,
    done: set[str],
    actors: int,
    jobs: int | None,
    document_terms: bool = True,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    load: Callable[[ServerConfig], Engine] | None = None,
) -> None:
    """One job in a :func:`ray_session`; ``load`` builds each actor's engine (by default
    the server's ``load_engine``; the benchmark fixes the decoding length with it).
    ``jobs``: documents in flight per actor (None: enough for its threads)."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the CLI draws its own
    context.wait_for_min_actors_s = ACTOR_START_TIMEOUT_S
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    dataset = _read(ray, inputs)
    if done:
        dataset = dataset.filter(lambda row: str(row.get("id")) not in done)
    cores = os.cpu_count() or 1
    per_actor = for_throughput(config, max(1, cores // max(1, actors)))
    jobs = jobs or default_jobs(per_actor)
    results = dataset.map_batches(
        TranslateBatches,
        fn_constructor_kwargs={
            "config": per_actor,
            "jobs": jobs,
            "load": load,
            "document_terms": document_terms,
        },
        batch_size=BATCH_ROWS,
        compute=ray.data.ActorPoolStrategy(
            size=actors,
            max_concurrent_calls_per_actor=batches_per_actor(jobs),
            enable_true_multi_threading=True,
        ),
        num_cpus=ACTOR_CPU_SHARE,
        batch_format="pyarrow",
    )
    try:
        for batch in results.iter_batches(batch_size=BATCH_ROWS, batch_format="pyarrow"):
            for row in batch.to_pylist():
                write(row)
                if on_row:
                    on_row(row)
    except ray.exceptions.GetTimeoutError:
        raise BulkInputError(
            f"the {actors} Ray actor(s) did not all start within {ACTOR_START_TIMEOUT_S} s: "
            f"each needs {ACTOR_CPU_SHARE} CPU and loads the model; ask for fewer --actors "
            "or add nodes to the cluster"
        ) from None


def batches_per_actor(jobs: int) -> int:
    """Batches of rows an actor takes at once: enough for its ``jobs`` documents in
    flight, and one more, whose documents take the places of a batch's last ones (a batch
    returns only when all its rows are done)."""
    return -(-jobs // BATCH_ROWS) + 1


def _read(ray: Any, inputs: Sequence[Path]) -> Any:
    suffixes = {path.suffix for path in inputs}
    paths = [str(path) for path in inputs]
    if suffixes <= {".parquet"}:
        return ray.data.read_parquet(paths)
    if suffixes <= {".jsonl", ".json"}:
        return ray.data.read_json(paths, lines=True)
    raise BulkInputError("--ray reads inputs of one kind: all .jsonl or all .parquet")


class TranslateBatches:
    """A Ray actor: one model, translating batches of rows."""

    def __init__(
        self,
        config: ServerConfig,
        jobs: int,
        load: Callable[[ServerConfig], Engine] | None,
        document_terms: bool = True,
    ) -> None:
        from tarjama.server.bulk.local import BulkTranslator

        engine = load(config) if load else None
        # ``jobs`` documents in flight for all the batches the actor translates at once.
        self.translator = BulkTranslator(config, engine, document_terms=document_terms, jobs=jobs)

    def __call__(self, batch: Any) -> Any:
        import pyarrow

        rows = batch.to_pylist()
        for row in rows:
            row["id"] = "" if row.get("id") is None else str(row["id"])
        results = list(self.translator.translate_rows(rows))
        return pyarrow.Table.from_pylist(results).select(list(OUTPUT_COLUMNS))
