"""`tarjama batch`: a corpus translated without a server, in this process or on Ray.

    tarjama batch articles.jsonl --out translated/          # Parquet parts
    tarjama batch part-*.parquet --out out.jsonl --ray      # a local Ray, an actor per model
    tarjama batch corpus/*.parquet --out out/ --ray ray://head:10001 --actors 8

Each input row (``id``, ``text``, optional ``glossaries`` and ``mime_type``) gives one
output row with the translation and the server's full response; a rerun skips the ids
already written, and a document that fails (over a limit of the server's, say) is a row
with the server's error while the job goes on (see :mod:`tarjama.server.bulk.rows`). The
model, glossaries, limits and settings are the server's (``TARJAMA_*``, ``--model``),
except the CTranslate2 threads: a batch job runs one one-thread batch per core at once
(see :mod:`tarjama.server.bulk.threads`) unless ``TARJAMA_INTER_THREADS``,
``TARJAMA_INTRA_THREADS`` or ``TARJAMA_BATCH_WORKERS`` set them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tarjama.client.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, counted

LOCAL_RAY = "local"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="translate a corpus (JSON Lines or Parquet) without a server, resumably",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help=".jsonl or .parquet")
    parser.add_argument(
        "--out",
        "-o",
        required=True,
        type=Path,
        metavar="OUTPUT",
        help="a .jsonl file, or a folder of Parquet parts (anything else)",
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL_RAY,
        metavar="ADDRESS",
        help="run on Ray Data: a local Ray without ADDRESS, else the cluster at ADDRESS",
    )
    parser.add_argument("--actors", type=int, default=1, metavar="N", help="with --ray: models")
    parser.add_argument(
        "--ray-dir",
        type=Path,
        metavar="PATH",
        help="with a local Ray: its files (default: a temporary folder)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="documents in flight per model (default: 32 per batch translated at once)",
    )
    parser.add_argument("--model", metavar="PATH|NAME", help="default: the model store's default")
    parser.add_argument(
        "--no-document-terms",
        action="store_true",
        help="leave a name the model writes two ways in a document as it wrote it",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary")
    parser.set_defaults(func=run_batch)


def run_batch(args: argparse.Namespace) -> int:
    from tarjama.client.cli_progress import JobProgress
    from tarjama.client.cli_serve import startup_errors
    from tarjama.server.bulk.rows import BulkInputError, Sink, done_ids, read_rows
    from tarjama.server.serve.config import ConfigError, load_config

    cannot_run: tuple[type[Exception], ...] = (BulkInputError, *startup_errors())
    if (args.jobs is not None and args.jobs < 1) or args.actors < 1:
        raise CliError("--jobs and --actors take 1 or more", EXIT_USAGE)
    missing = [str(path) for path in args.inputs if not path.is_file()]
    if missing:
        raise CliError(f"no such input file: {missing[0]}", EXIT_USAGE)
    try:
        config = load_config(flags={"model": args.model} if args.model else {})
    except ConfigError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    failures = 0
    try:
        done = done_ids(args.out)
        left = _count_rows(args.inputs)
        if done:  # a rerun: count exactly what is left, as the job will filter it
            left = sum(1 for row in read_rows(args.inputs) if str(row["id"]) not in done)
            if not args.quiet:
                already = counted(len(done), "document")
                rest = "skipped" if left else "nothing left to translate"
                print(f"tarjama: {already} already in {args.out}: {rest}", file=sys.stderr)
            if not left:  # neither the model nor Ray is started for nothing
                return EXIT_OK
        progress = JobProgress(left, quiet=args.quiet)

        def on_row(row: dict) -> None:
            nonlocal failures
            failures += not row["ok"]
            progress.row_done(ok=row["ok"], sentences=row["sentences"], terms=row["term_hits"])

        sink = Sink(args.out)
        try:
            if args.ray:
                from tarjama.server.bulk.ray_job import run_ray

                with tempfile.TemporaryDirectory(prefix="tarjama-ray-") as scratch:
                    run_ray(
                        args.inputs,
                        sink.write,
                        config,
                        done=done,
                        address=None if args.ray == LOCAL_RAY else args.ray,
                        actors=args.actors,
                        temp_dir=args.ray_dir or Path(scratch),
                        jobs=args.jobs,
                        document_terms=not args.no_document_terms,
                        on_row=on_row,
                    )
            else:
                from tarjama.server.bulk.local import run_local

                rows = (row for row in read_rows(args.inputs) if str(row["id"]) not in done)
                run_local(
                    rows,
                    sink.write,
                    config,
                    jobs=args.jobs,
                    document_terms=not args.no_document_terms,
                    on_row=on_row,
                )
        finally:
            sink.close()
            progress.finish(summary=True)
    except cannot_run as error:
        raise CliError(str(error)) from None
    return EXIT_FAILURE if failures else EXIT_OK


def _count_rows(inputs: list[Path]) -> int:
    total = 0
    for path in inputs:
        if path.suffix == ".parquet":
            try:
                import pyarrow.parquet

                total += pyarrow.parquet.ParquetFile(path).metadata.num_rows
            except (ImportError, OSError, ValueError):
                continue  # reported when the file is read
        else:
            with path.open("rb") as stream:
                total += sum(1 for line in stream if line.strip())
    return total
