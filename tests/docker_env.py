"""The Docker the image tests use, and why there is none when there is none.

The daemon is the one the docker CLI finds (``DOCKER_HOST``, else its default socket).
``TARJAMA_TEST_DOCKER_BASE`` names a local base image (deploy/docker/prepare-offline.sh
makes one): the image is then built offline, with ``--network none`` and the wheels in
deploy/docker/wheels/, as a machine that cannot pull images must build it. Without it the
Dockerfile's own base is used, pulled if it is not there. ``TARJAMA_TEST_DOCKER_NGINX``
likewise names a local image with nginx to stand in for the compose example's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEELS = ROOT / "deploy" / "docker" / "wheels"
BASE_VARIABLE = "TARJAMA_TEST_DOCKER_BASE"
NGINX_VARIABLE = "TARJAMA_TEST_DOCKER_NGINX"
# The tag the tests build the image under; never a user's own `tarjama`.
IMAGE = "tarjama:test"
PREPARE = "deploy/docker/prepare-offline.sh"


def run(
    command: Sequence[str],
    *,
    timeout: float = 120,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``command``'s outcome; with ``check``, an error holding its output when it fails."""
    result = subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **env} if env else None,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}:\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result


class DockerUnavailable(Exception):
    """Docker cannot run the image here; the message says why and what would fix it."""


@dataclass(frozen=True)
class Docker:
    cli: str
    # A local base image to build on, offline; "" for the Dockerfile's default base.
    offline_base: str = ""

    def run(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run([self.cli, *args], timeout=timeout, check=check)

    def build_args(self) -> list[str]:
        """`docker build` arguments that build the image from this checkout."""
        if not self.offline_base:
            return []
        return [
            "--network",
            "none",
            "--build-arg",
            f"BASE={self.offline_base}",
            "--build-arg",
            "PIP_ARGS=--no-index --find-links /wheels",
        ]

    def build_image(self) -> str:
        """The image built from this checkout (from Docker's layer cache when unchanged)."""
        self.run("build", *self.build_args(), "-t", IMAGE, str(ROOT), timeout=900)
        return IMAGE

    def ensure_image(self, image: str, variable: str) -> None:
        """``image`` is there or pulled, else :class:`DockerUnavailable`."""
        if self.run("image", "inspect", image, check=False).returncode == 0:
            return
        pulled = self.run("pull", "--quiet", image, timeout=300, check=False)
        if pulled.returncode != 0:
            reason = (pulled.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise DockerUnavailable(
                f"the image {image} cannot be pulled ({reason}); without a registry, make a "
                f"local stand-in with {PREPARE} and set {variable}"
            )

    def logs(self, container: str) -> list[dict[str, object]]:
        """The server's JSON log lines (TARJAMA_LOG_FORMAT=json), other lines left out."""
        logs = self.run("logs", container)
        lines = (logs.stdout + logs.stderr).splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def inspect(self, container: str) -> dict[str, object]:
        state: dict[str, object] = json.loads(self.run("inspect", container).stdout)[0]
        return state

    def wait_until_healthy(self, container: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        status = "unknown"
        while time.monotonic() < deadline:
            state = self.inspect(container)["State"]
            assert isinstance(state, dict)
            status = state.get("Health", {}).get("Status", "none")
            if status == "healthy":
                return
            if not state["Running"]:
                break
            time.sleep(0.5)
        logs = self.run("logs", container, check=False)
        raise AssertionError(
            f"container {container} is {status}, not healthy; its log ends:\n"
            f"{(logs.stdout + logs.stderr)[-3000:]}"
        )


def docker() -> Docker:
    """The Docker to test with, or :class:`DockerUnavailable` saying why there is none."""
    cli = shutil.which("docker")
    if cli is None:
        raise DockerUnavailable(
            "the docker CLI is not installed (apt-get install docker.io); .ci/run installs "
            "it and starts a daemon of its own when it runs as root"
        )
    probe = subprocess.run(
        [cli, "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        where = os.environ.get("DOCKER_HOST", "the default socket")
        reason = (probe.stderr.strip().splitlines() or ["no answer"])[-1]
        raise DockerUnavailable(
            f"no Docker daemon answers at {where} ({reason}); start one (.ci/run shows how, "
            "without a network bridge or iptables) and point DOCKER_HOST at its socket"
        )
    found = Docker(cli, os.environ.get(BASE_VARIABLE, ""))
    if found.offline_base:
        _check_offline_build(found)
    else:
        text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
        (base,) = [
            line.split("=", 1)[1] for line in text.splitlines() if line.startswith("ARG BASE=")
        ]
        found.ensure_image(base, BASE_VARIABLE)
    return found


def _check_offline_build(found: Docker) -> None:
    if found.run("image", "inspect", found.offline_base, check=False).returncode != 0:
        raise DockerUnavailable(
            f"{BASE_VARIABLE}={found.offline_base}, but the daemon has no such image; "
            f"{PREPARE} makes it"
        )
    if not any(WHEELS.glob("ctranslate2-*.whl")):
        raise DockerUnavailable(
            f"an offline build needs the dependencies' wheels in {WHEELS.relative_to(ROOT)}/, "
            f"and there are none; {PREPARE} downloads them"
        )


def compose_command(found: Docker) -> list[str]:
    """The Compose CLI, the plugin (`docker compose`) or the standalone `docker-compose`."""
    if found.run("compose", "version", check=False).returncode == 0:
        return [found.cli, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone is None:
        raise DockerUnavailable(
            "neither `docker compose` nor `docker-compose` is installed (apt-get install "
            "docker-compose); .ci/run installs it when it runs as root"
        )
    return [standalone]
