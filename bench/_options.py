"""bench/run.py's command line: what to run, on which device, where to write the report."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

DEFAULT_COMPUTE_TYPES = {"cpu": "int8", "cuda": "float16"}


@dataclass(frozen=True)
class Selection:
    """Which scenarios run: the client counts of (b), how many times, and whether (c)-(f)."""

    clients: tuple[int, ...] = ()  # empty: every count of the sizes
    rounds: int = 1
    clients_only: bool = False


def parse_arguments(argv: list[str] | None, description: str, root: Path) -> argparse.Namespace:
    """The options, with ``selection`` (a :class:`Selection`) made of the scenario ones."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and model (CI)")
    parser.add_argument(
        "--out",
        type=Path,
        default=root / "bench" / "out" / "report",
        help="folder for results.json, report.md and server.log (default: bench/out/report)",
    )
    parser.add_argument(
        "--device",
        choices=sorted(DEFAULT_COMPUTE_TYPES),
        default="cpu",
        help="CTranslate2 device for every path (cuda: batches cut by tokens; needs a GPU)",
    )
    parser.add_argument(
        "--compute-type",
        default="",
        help="CTranslate2 compute type (default: int8 on cpu, float16 on cuda)",
    )
    parser.add_argument(
        "--clients",
        type=_client_counts,
        default=(),
        metavar="N,N,...",
        help="the client counts of (b) to run (default: 1,8,32,64)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="times (b) runs over, each round a row (default 1)"
    )
    parser.add_argument(
        "--clients-only", action="store_true", help="run (a) and (b) only, not (c)-(f)"
    )
    parser.add_argument(
        "--max-batch-sentences",
        type=int,
        default=0,
        metavar="N",
        help="the server's max_batch_sentences for this run (default: the server's default); "
        "the raw reference stays at its batch, so the ratios show what N does",
    )
    parser.add_argument(
        "--batches-at-once",
        type=int,
        default=1,
        metavar="N",
        help="the server translates N batches at once with cores/N threads each "
        "(inter_threads N, batch_workers N); the raw reference stays one batch of every core",
    )
    args = parser.parse_args(argv)
    if args.batches_at_once < 1:
        parser.error(f"--batches-at-once must be 1 or more, not {args.batches_at_once}")
    if args.max_batch_sentences < 0:
        parser.error(
            f"--max-batch-sentences must be 1 or more (0: the server's default), "
            f"not {args.max_batch_sentences}"
        )
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, not {args.rounds}")
    args.selection = Selection(args.clients, args.rounds, args.clients_only)
    return args


def _client_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected client counts such as 1,32,64, not {text!r}"
        ) from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"client counts must be 1 or more, not {text!r}")
    return counts
