"""The container image, built from the Dockerfile and run: the model goes into a volume the
way the Dockerfile tells users to put it there, the HEALTHCHECK turns healthy, the real
client translates through it, the server runs as the image's user, and `docker stop`
drains the calls in flight within the grace period instead of killing them.

Needs a Docker daemon (tests/docker_env.py says which, and why a run is skipped). The
containers use the host's network, so no bridge, port publishing or iptables is needed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tarjama.client import Translator
from tarjama.results import HealthStatus
from tests.docker_env import Docker, DockerUnavailable, docker
from tests.replicas import SENTENCES, TEST_MODEL, HeldStream, Load, free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

IMAGE_USER = "10001"


@dataclass(frozen=True)
class Container:
    name: str
    address: str


@pytest.fixture(scope="module")
def daemon() -> Docker:
    try:
        return docker()
    except DockerUnavailable as why:
        pytest.skip(str(why))


@pytest.fixture(scope="module")
def image(daemon: Docker) -> str:
    return daemon.build_image()


@pytest.fixture(scope="module")
def data_volume(daemon: Docker, image: str) -> Iterator[str]:
    """A volume holding the test model, installed as the Dockerfile says to install one."""
    volume = f"tarjama-test-{uuid.uuid4().hex[:8]}"
    daemon.run("volume", "create", volume)
    try:
        daemon.run(
            "run", "--rm", "--network", "none", "-v", f"{volume}:/var/lib/tarjama",
            "-v", f"{TEST_MODEL}:/import/test-model:ro",
            image, "model", "import", "/import/test-model", "--name", "test-model",
        )  # fmt: skip
        yield volume
    finally:
        daemon.run("volume", "rm", "--force", volume, check=False)


def start(daemon: Docker, image: str, volume: str) -> Container:
    """A server container from the image, once its HEALTHCHECK says healthy."""
    name = f"tarjama-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    daemon.run(
        "run", "--detach", "--name", name, "--network", "host",
        "-v", f"{volume}:/var/lib/tarjama",
        # Loopback only, and the image's own check run often, so the test need not wait
        # out the image's 10 s interval.
        "-e", "TARJAMA_HOST=127.0.0.1", "-e", f"TARJAMA_PORT={port}",
        "-e", "TARJAMA_BEAM_SIZE=1", "--health-interval", "1s",
        image,
    )  # fmt: skip
    try:
        daemon.wait_until_healthy(name)
    except BaseException:
        remove(daemon, name)
        raise
    return Container(name, f"127.0.0.1:{port}")


def remove(daemon: Docker, name: str) -> None:
    daemon.run("rm", "--force", "--volumes", name, check=False)


@pytest.fixture(scope="module")
def server(daemon: Docker, image: str, data_volume: str) -> Iterator[Container]:
    container = start(daemon, image, data_volume)
    yield container
    remove(daemon, container.name)


def test_the_healthy_image_translates_with_the_bundled_glossary(server: Container) -> None:
    with Translator(server.address, timeout=60) as translator:
        assert translator.health("tarjama.v1.Translator") is HealthStatus.SERVING
        result = translator.translate(SENTENCES[2])
    assert result.model == "test-model"
    (sentence,) = result.sentences
    assert sentence.source_span.end == len(SENTENCES[2])
    # The glossary the first start seeded into the volume is enforced.
    (hit,) = [hit for hit in sentence.term_hits if hit.source_term == "داعش"]
    assert hit.glossary == "news"
    span = hit.target_span
    assert result.translation[span.start : span.end] == hit.target_term == "Islamic State"


def test_the_server_runs_as_the_image_user_not_root(daemon: Docker, server: Container) -> None:
    config = daemon.inspect(server.name)["Config"]
    assert isinstance(config, dict)
    assert config["User"] == f"{IMAGE_USER}:{IMAGE_USER}"
    # The server is the container's first process; its real, effective, saved and file
    # system uids are all the image's user.
    status = daemon.run("exec", server.name, "cat", "/proc/1/status").stdout
    (uids,) = [line.split()[1:] for line in status.splitlines() if line.startswith("Uid:")]
    assert uids == [IMAGE_USER] * 4
    command = daemon.run("exec", server.name, "cat", "/proc/1/cmdline").stdout
    assert command.split("\0")[1:3] == ["/opt/tarjama/bin/tarjama", "serve"]


def test_docker_stop_drains_the_calls_in_flight_within_the_grace_period(
    daemon: Docker, image: str, data_volume: str
) -> None:
    """A stream held open across `docker stop` shows a call in flight is finished: its
    second document is sent only once the server has logged the signal."""
    container = start(daemon, image, data_volume)
    held = HeldStream()

    try:
        load = Load(container.address, threads=4)
        try:
            load.wait_until(10)
            assert load.failures == []
            with Translator(container.address, timeout=60) as direct:
                stream = direct.translate_stream(held.documents())
                assert next(stream).translation  # the stream is in flight on the server
                # Docker's default timeout (10 s), as a user would stop it: the image's
                # grace period is below it, so the server drains and exits before Docker
                # kills it.
                stopping = threading.Thread(
                    target=daemon.run, args=("stop", container.name), kwargs={"timeout": 60}
                )
                stopping.start()
                wait_for_log(daemon, container.name, "SIGTERM")
                held.release()
                rest = list(stream)
                stopping.join(60)
        finally:
            held.release()
            load.finish()
        state = daemon.inspect(container.name)["State"]
        log = daemon.logs(container.name)
    finally:
        remove(daemon, container.name)
    assert isinstance(state, dict)
    assert (state["ExitCode"], state["OOMKilled"]) == (0, False), "killed, not drained"
    assert [bool(translation.translation) for translation in rest] == [True]
    messages = [str(entry["message"]) for entry in log]
    signalled = next(n for n, m in enumerate(messages) if m.startswith("SIGTERM"))
    assert any(m.startswith("stopped in") for m in messages[signalled:])
    before = {str(e["status"]) for e in log[:signalled] if e.get("method") == "Translate"}
    drained = [str(e["status"]) for e in log[signalled:] if e.get("method") == "Translate"]
    assert before == {"OK"}
    # A call still waiting for a thread when the drain began may be refused UNAVAILABLE
    # (retryable elsewhere); the calls already running were answered.
    assert set(drained) <= {"OK", "UNAVAILABLE"}
    streamed = [str(e["status"]) for e in log[signalled:] if e.get("method") == "TranslateStream"]
    assert streamed == ["OK"]


def wait_for_log(daemon: Docker, name: str, prefix: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(str(entry["message"]).startswith(prefix) for entry in daemon.logs(name)):
            return
        time.sleep(0.1)
    raise AssertionError(f"the container logged no {prefix!r} within {timeout:.0f} s")


def test_the_model_and_the_glossaries_live_in_the_volume(
    daemon: Docker, image: str, data_volume: str, server: Container
) -> None:
    """What a second replica mounting the volume finds: the model installed by the import
    and the glossary the first start seeded, written by the image's user."""
    listing = daemon.run(
        "run", "--rm", "--network", "none", "-v", f"{data_volume}:/var/lib/tarjama",
        "--entrypoint", "find", image, "/var/lib/tarjama", "-maxdepth", "2",
        "-printf", "%u %P\\n",
    ).stdout  # fmt: skip
    owners = dict(line.split(" ", 1)[::-1] for line in listing.splitlines() if " " in line)
    assert {owners["models/test-model"], owners["glossaries/news.yaml"]} == {"tarjama"}
