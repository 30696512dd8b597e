"""Throughput of one replica against two behind nginx, Envoy or client-side round robin,
on this machine, with the trained test model (the figures in docs/scaling.md).

    python deploy/measure_replicas.py [--seconds 8] [--clients 8]

Each setup runs the same closed loop of clients (tests/replicas.py: documents of one to
three sentences, cache skipped) for the same time; the ratio to one replica is what the
docs quote. Needs nginx and envoy as the deploy tests do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.replicas import Load, replicas
from tests.test_deploy_proxy import proxy


def measure(address: str, seconds: float, clients: int) -> float:
    load = Load(address, threads=clients)
    time.sleep(1.0)  # connections up, first batches done
    start_done, started = load.done, time.monotonic()
    time.sleep(seconds)
    rate = (load.done - start_done) / (time.monotonic() - started)
    load.finish()
    if load.failures:
        raise SystemExit(f"{len(load.failures)} calls failed: {load.failures[0]}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with replicas(root / "one", count=1) as (single,):
            rows.append(("1 replica, direct", measure(single.address, args.seconds, args.clients)))
        with replicas(root / "two") as pair:
            for kind in ("nginx", "envoy"):
                with proxy(kind, pair, root / kind) as address:
                    rate = measure(address, args.seconds, args.clients)
                    rows.append((f"2 replicas behind {kind}", rate))
            target = "ipv4:" + ",".join(replica.address for replica in pair)
            rows.append(
                ("2 replicas, client round robin", measure(target, args.seconds, args.clients))
            )
    base = rows[0][1]
    print(f"| setup ({args.clients} clients, {args.seconds:g} s) | calls/s | ratio |")
    print("|---|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:.1f} | {rate / base:.2f} |")


if __name__ == "__main__":
    main()
