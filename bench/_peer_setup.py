"""LibreTranslate, installed and serving the benchmark's model offline, in a folder of its own.

Everything the peer writes lives under one folder (``--work``): its virtual environment,
its argos-translate data, configuration and cache (``XDG_*`` point there), the argos
packages, and its log. Nothing goes to the repository or to ``~``.

The model becomes an argos package: a zip holding one folder with ``metadata.json``, the
CTranslate2 model under ``model/``, one ``sentencepiece.model`` and ``minisbd/ar.onnx``.
tarjama's model has two SentencePiece models; the source one serves both sides here. The
output of random weights means nothing anyway: what is compared is the cost of a request.
``minisbd/ar.onnx`` is the stand-in of ``_peer_sbd.py`` (MiniSBD would download the real
one on the first request, and fail offline).

A second package (English to Arabic, metadata and a tokenizer only, never used) is
installed too: with fewer than two packages LibreTranslate's start-up tries the package
index first (~75 s offline before it gives up and serves).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from bench._processes import process_cpu_seconds

LIBRETRANSLATE = "libretranslate==1.9.6"
# onnx builds the splitter stand-in; LibreTranslate 1.9.6 requires numpy < 2, which a
# plain `pip install onnx` afterwards would upgrade past.
REQUIREMENTS = [LIBRETRANSLATE, "onnx", "numpy<2"]
BENCH = Path(__file__).resolve().parent
MODEL_FILES = ("model.bin", "config.json", "shared_vocabulary.json")
PACKAGES = {  # folder name -> (from, to); the first is the benchmark's model
    "translate-ar_en-bench": ("ar", "en"),
    "translate-en_ar-unused": ("en", "ar"),
}
STARTUP_TIMEOUT_S = 300.0
NAMES = {"ar": "Arabic", "en": "English"}


class PeerError(Exception):
    """The peer could not be installed or started; the message says where it stopped."""


class PeerHome:
    """The peer's folder: ``venv/``, ``home/`` (its XDG folders), ``packages/``, logs."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.venv = self.root / "venv"
        self.python = self.venv / "bin" / "python"
        self.home = self.root / "home"
        self.packages = self.home / "packages"
        self.batch_log = self.root / "batches.txt"

    def environment(self, threads: int) -> dict[str, str]:
        """The peer's environment: its own data folders, and CTranslate2 run as tarjama's
        engine runs (int8, one batch at a time, ``threads`` intra threads)."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("ARGOS_")}
        env |= {
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "ARGOS_PACKAGES_DIR": str(self.packages),
            "ARGOS_DEVICE_TYPE": "cpu",
            "ARGOS_COMPUTE_TYPE": "int8",
            "ARGOS_INTER_THREADS": "1",
            "ARGOS_INTRA_THREADS": str(threads),
            "ARGOS_BEAM_SIZE": "4",
            "PYTHONNOUSERSITE": "1",
        }
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONPATH", None)
        return env

    # -- installing ---------------------------------------------------------------------------

    def ensure_venv(self) -> bool:
        """Creates the venv and installs LibreTranslate (a minute or two from PyPI) unless it
        is there already; True when it was installed now."""
        if self.python.is_file() and _run([self.python, "-c", "import libretranslate, onnx"]):
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        _check([sys.executable, "-m", "venv", "--clear", str(self.venv)], "creating the venv")
        pip = [str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _check([*pip, *REQUIREMENTS], f"installing {' '.join(REQUIREMENTS)} from PyPI")
        return True

    def version(self) -> str:
        done = subprocess.run(
            [self.python, "-m", "pip", "list", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
        )
        versions = {p["name"].lower(): p["version"] for p in json.loads(done.stdout)}
        names = ("libretranslate", "argos-translate-lt", "minisbd", "ctranslate2")
        return ", ".join(f"{name} {versions.get(name, '?')}" for name in names)

    def install_packages(self, model_dir: Path, threads: int) -> None:
        """Builds both argos packages from ``model_dir`` and installs them with argos's own
        ``install_from_path`` (replacing earlier installs)."""
        shutil.rmtree(self.packages, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=self.root, prefix=".package-") as work_dir:
            work = Path(work_dir)
            splitter = work / "ar.onnx"
            _check([self.python, BENCH / "_peer_sbd.py", splitter], "building the splitter")
            archives = [
                _argos_zip(work, name, pair, model_dir, splitter if index == 0 else None)
                for index, (name, pair) in enumerate(PACKAGES.items())
            ]
            install = "from argostranslate import package; import sys\n"
            install += "for path in sys.argv[1:]: package.install_from_path(path)"
            _check(
                [self.python, "-c", install, *map(str, archives)],
                "installing the argos packages",
                env=self.environment(threads),
            )


def _argos_zip(
    work: Path, name: str, pair: tuple[str, str], model_dir: Path, splitter: Path | None
) -> Path:
    source, target = pair
    metadata = {
        "package_version": "1.0",
        "argos_version": "1.9",
        "from_code": source,
        "from_name": NAMES[source],
        "to_code": target,
        "to_name": NAMES[target],
        "links": [],
    }
    archive = work / f"{name}.argosmodel"
    # Stored, not deflated: the model is ~80 MB of int8 weights that do not compress.
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr(f"{name}/metadata.json", json.dumps(metadata, indent=2))
        zipped.write(model_dir / "source.spm", f"{name}/sentencepiece.model")
        if splitter is not None:
            zipped.write(splitter, f"{name}/minisbd/ar.onnx")
            for file in MODEL_FILES:
                zipped.write(model_dir / file, f"{name}/model/{file}")
    return archive


def _run(command: list[str | Path]) -> bool:
    done = subprocess.run(command, capture_output=True, check=False)
    return done.returncode == 0


def _check(command: list[str | Path], step: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-2000:]
        raise PeerError(f"{step} failed (exit {done.returncode}):\n{tail}")


# -- serving -----------------------------------------------------------------------------------


class LibreTranslateProcess:
    """LibreTranslate serving the installed packages on loopback, through ``_peer_launch.py``
    (the fixed decoding length). Waitress with LibreTranslate's default of 4 threads."""

    def __init__(self, peer: PeerHome, port: int, decode_length: int, threads: int) -> None:
        self.port = port
        self.log_path = peer.root / "libretranslate.log"
        self.batch_log = peer.batch_log
        self.batch_log.write_text("", encoding="utf-8")
        command = [str(peer.python), str(BENCH / "_peer_launch.py"), str(decode_length)]
        command += [str(self.batch_log), "--", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--load-only", "ar,en", "--disable-web-ui", "--disable-files-translation"]
        self._log = self.log_path.open("w", encoding="utf-8")
        started = time.perf_counter()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=peer.environment(threads),
            cwd=peer.root,  # LibreTranslate writes a db/ folder in its working directory
        )
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        self.startup_s = time.perf_counter() - started

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PeerError(f"LibreTranslate exited ({self._process.returncode}):\n"
                                f"{self.log_tail()}")  # fmt: skip
            try:
                with urllib.request.urlopen(f"{self.url}/languages", timeout=5) as reply:
                    languages = json.loads(reply.read())
                if any(language["code"] == "ar" for language in languages):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise PeerError(f"LibreTranslate did not serve within {STARTUP_TIMEOUT_S:.0f} s:\n"
                        f"{self.log_tail()}")  # fmt: skip

    def log_tail(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]

    def cpu_seconds(self) -> float | None:
        return process_cpu_seconds(self._process.pid)

    def batch_sizes(self) -> list[int]:
        """Sentences in each CTranslate2 call LibreTranslate has made so far, in order."""
        text = self.batch_log.read_text(encoding="utf-8")
        return [int(line) for line in text.split()]

    def stop(self) -> None:
        self._process.terminate()
        timer = threading.Timer(30, self._process.kill)
        timer.start()
        self._process.wait()
        timer.cancel()
        self._log.close()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._log.close()
