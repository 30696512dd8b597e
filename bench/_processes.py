"""The benchmark's child processes: the real gRPC server, and a bare process with the model.

The server runs in its own process so that the benchmark's client threads do not share
its interpreter (and GIL), and so that its peak resident memory is its own. It is the
real server (``create_server``, request log on) with one difference: its engine decodes
exactly the benchmark's fixed number of target tokens, as every other path does.

Each child reports its peak resident set (``VmHWM``) on stdout when it ends; the
parent reads the server's CPU time from ``/proc`` while it runs (Linux; None elsewhere).

    python bench/_processes.py server MODEL_DIR --home DIR --decode-length N --beam-size B
                                      --threads T
    python bench/_processes.py bare MODEL_DIR --decode-length N --beam-size B --threads T
                                    --batch-size S
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script, only bench/ is on the path
    sys.path.insert(0, str(ROOT))

from bench._raw import GPU_BATCH_SENTENCES, GPU_BATCH_TOKENS, Decoding, RawEngine  # noqa: E402
from bench._workload import make_sentences  # noqa: E402
from tarjama.server.translate.engine import Engine, EngineOptions  # noqa: E402

STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class PeakMemory:
    """Resident memory of a child, MiB: once its model was loaded, and at its peak."""

    loaded_mib: float
    peak_mib: float


class ServerProcess:
    """The tarjama server in a child process; ``stop()`` returns its memory."""

    def __init__(
        self,
        model_dir: Path,
        home: Path,
        decoding: Decoding,
        log: Path,
        max_batch_sentences: int = 0,
    ) -> None:
        """``max_batch_sentences`` 0 keeps the server's default (a GPU's token batches aside)."""
        command = [sys.executable, __file__, "server", str(model_dir), "--home", str(home)]
        command += _decoding_arguments(decoding)
        command += [f"--max-batch-sentences={max_batch_sentences}"]
        self._log = log.open("w", encoding="utf-8")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        # A server that hangs while starting would block the read below for ever.
        watchdog = threading.Timer(STARTUP_TIMEOUT_S, self._process.kill)
        watchdog.start()
        try:
            ready = _read_report(self._process, log)
        finally:
            watchdog.cancel()
        self.port = int(ready["port"])
        self._loaded_mib = float(ready["rss_mib"])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server has used so far (None without /proc)."""
        return process_cpu_seconds(self._process.pid)

    def batch_sizes(self) -> list[int]:
        """Sentences in each CTranslate2 call the server has made so far, in order."""
        assert self._process.stdin is not None
        self._process.stdin.write("batches\n")
        self._process.stdin.flush()
        return list(_read_report(self._process, Path(self._log.name))["sizes"])

    def stop(self) -> PeakMemory:
        assert self._process.stdin is not None
        self._process.stdin.close()  # the child's signal to shut down
        report = _read_report(self._process, Path(self._log.name))
        self._process.wait(timeout=30)
        self._log.close()
        return PeakMemory(self._loaded_mib, float(report["peak_mib"]))

    def kill(self) -> None:
        """Ends the child at once (after a failed scenario)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._log.close()


def bare_process_memory(model_dir: Path, decoding: Decoding, batch_size: int) -> PeakMemory:
    """Memory of a process that only loads the model and translates one batch."""
    command = [sys.executable, __file__, "bare", str(model_dir), *_decoding_arguments(decoding)]
    command += ["--batch-size", str(batch_size)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the bare model process failed: {done.stderr.strip()[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return PeakMemory(float(report["rss_mib"]), float(report["peak_mib"]))


def _decoding_arguments(decoding: Decoding) -> list[str]:
    return [
        f"--decode-length={decoding.length}",
        f"--beam-size={decoding.beam_size}",
        f"--threads={decoding.threads}",
        f"--device={decoding.device}",
        f"--compute-type={decoding.compute_type}",
        f"--parallel={decoding.parallel}",
    ]


def process_cpu_seconds(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name (which may hold spaces): utime and stime are 14, 15.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read_report(process: subprocess.Popen[str], log: Path) -> dict[str, Any]:
    """The next JSON line the child prints; its log tail if it died instead."""
    stdout: IO[str] | None = process.stdout
    assert stdout is not None
    line = stdout.readline()
    if not line:
        process.wait(timeout=30)
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"the server process exited ({process.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(line)
    return result


# -- the children ----------------------------------------------------------------------------


def _status_mib(field: str) -> float | None:
    """A memory line of /proc/self/status (Linux), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_mib() -> float:
    """Current resident set."""
    return _status_mib("VmRSS") or _peak_mib()


def _peak_mib() -> float:
    """Peak resident set of this program. Not ``ru_maxrss`` on Linux: it carries over
    across exec, so a child would report its parent's size when that was larger."""
    peak = _status_mib("VmHWM")
    if peak is not None:
        return peak
    # ru_maxrss is KiB on Linux, bytes on macOS (where this benchmark is not calibrated).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _say(**values: Any) -> None:
    print(json.dumps(values), flush=True)


class RecordingEngine(Engine):
    """The real engine, noting the size of every batch the batcher hands it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_sizes: list[int] = []

    def translate_batch(self, sources: Any, **options: Any) -> Any:
        self.batch_sizes.append(len(sources))
        return super().translate_batch(sources, **options)


def _serve(model_dir: Path, home: Path, decoding: Decoding, max_batch_sentences: int) -> None:
    from tarjama.server.serve.app import configure_logging, create_server
    from tarjama.server.serve.config import ServerConfig

    config = ServerConfig(
        host="127.0.0.1",
        port=0,
        home=home,
        model=str(model_dir),
        beam_size=decoding.beam_size,
        intra_threads=decoding.threads,
        inter_threads=decoding.parallel,
        batch_workers=decoding.parallel,  # a batcher worker for each batch at once
        device=decoding.device,
        compute_type=decoding.compute_type,
    )
    if decoding.by_tokens:  # a GPU's batches are cut by tokens, as the raw reference's are
        config = replace(
            config, max_batch_sentences=GPU_BATCH_SENTENCES, max_batch_tokens=GPU_BATCH_TOKENS
        )
    if max_batch_sentences:
        config = replace(config, max_batch_sentences=max_batch_sentences)
    configure_logging(config)  # the request log costs what it costs a real server
    engine = RecordingEngine(
        model_dir,
        EngineOptions(
            device=config.device,
            compute_type=config.compute_type,
            inter_threads=config.inter_threads,
            intra_threads=config.intra_threads,
            beam_size=config.beam_size,
            min_decoding_length=decoding.length,
            max_decoding_length=decoding.length,
        ),
    )
    server, port = create_server(config, engine)
    server.start()
    _say(port=port, rss_mib=_rss_mib())
    for line in sys.stdin:  # until the parent closes our stdin
        if line.strip() == "batches":
            _say(sizes=engine.batch_sizes)
    server.stop(5.0).wait(30)
    _say(peak_mib=_peak_mib())


def _bare(model_dir: Path, decoding: Decoding, batch_size: int) -> None:
    engine = RawEngine(model_dir, decoding)
    loaded = _rss_mib()
    engine.translate(engine.pieces(make_sentences(batch_size, seed=7)))
    _say(rss_mib=loaded, peak_mib=_peak_mib())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("server", "bare"))
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--decode-length", type=int, required=True)
    parser.add_argument("--beam-size", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True, help="CTranslate2 intra_threads")
    parser.add_argument("--device", default="cpu", help="CTranslate2 device")
    parser.add_argument("--compute-type", default="int8", help="CTranslate2 compute type")
    parser.add_argument("--parallel", type=int, default=1, help="CTranslate2 inter_threads")
    parser.add_argument("--home", type=Path, help="server: its data folder")
    parser.add_argument("--batch-size", type=int, default=32, help="bare: sentences translated")
    parser.add_argument(
        "--max-batch-sentences", type=int, default=0, help="server: 0 for the server's default"
    )
    args = parser.parse_args(argv)
    decoding = Decoding(
        args.beam_size,
        args.decode_length,
        args.threads,
        args.device,
        args.compute_type,
        args.parallel,
    )
    if args.mode == "server":
        _serve(args.model_dir, args.home, decoding, args.max_batch_sentences)
    else:
        _bare(args.model_dir, decoding, args.batch_size)


if __name__ == "__main__":
    main()
