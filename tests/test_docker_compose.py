"""deploy/compose/compose.yaml run as written: two replicas of the image behind nginx,
sharing one volume, the glossary writes' token from a Compose secret. An override file
changes only what a test must: the image tag, a loopback port, a local nginx image when no
registry can be reached, the model to import, and checks run often.

Needs Docker and Compose (tests/docker_env.py says why a run is skipped).
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tarjama.client import Translator
from tarjama.client.errors import TarjamaError, Unauthenticated
from tarjama.glossary.model import Glossary, Term
from tarjama.results import HealthStatus
from tests.docker_env import (
    NGINX_VARIABLE,
    ROOT,
    Docker,
    DockerUnavailable,
    compose_command,
    docker,
    run,
)
from tests.replicas import SENTENCES, TEST_MODEL, free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

COMPOSE_FILE = ROOT / "deploy" / "compose" / "compose.yaml"
REPLICAS = ("replica-1", "replica-2")
TOKEN = "compose-test-token"
CHECK_MS = 200


@dataclass(frozen=True)
class Stack:
    daemon: Docker
    compose_command: list[str]  # the Compose CLI with the project and its files
    environment: dict[str, str]
    address: str  # nginx's, published on loopback

    def compose(self, *args: str, timeout: float = 300, check: bool = True) -> str:
        command = [*self.compose_command, *args]
        return run(command, timeout=timeout, check=check, env=self.environment).stdout

    def served(self, service: str) -> list[str]:
        """The status of each Translate call the service's replica answered."""
        log = self.daemon.logs(self.compose("ps", "-q", service).strip())
        return [str(entry["status"]) for entry in log if entry.get("method") == "Translate"]


def override(folder: Path, image: str, nginx: str) -> Path:
    token = folder / "token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    token.chmod(0o644)  # the secret is bind-mounted; the image's user must read it
    replica = {
        "image": image,
        "environment": {"TARJAMA_BEAM_SIZE": "1", "TARJAMA_GLOSSARY_CHECK_MS": str(CHECK_MS)},
        "healthcheck": {"interval": "1s"},
        "volumes": [f"{TEST_MODEL}:/import/test-model:ro"],
    }
    services: dict[str, object] = {name: replica for name in REPLICAS}
    # The command nginx's own image runs; Debian's nginx needs it spelt out.
    services["lb"] = {"image": nginx, "command": ["nginx", "-g", "daemon off;"]}
    path = folder / "compose.override.yaml"
    # JSON is YAML, and Compose reads it as such.
    path.write_text(
        json.dumps({"services": services, "secrets": {"tarjama-token": {"file": str(token)}}}),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    try:
        daemon = docker()
        compose = compose_command(daemon)
        nginx = os.environ.get(NGINX_VARIABLE, "")
        if not nginx:
            (nginx,) = re.findall(r"image: (nginx\S*)", COMPOSE_FILE.read_text("utf-8"))
            daemon.ensure_image(nginx, NGINX_VARIABLE)
    except DockerUnavailable as why:
        pytest.skip(str(why))
    image = daemon.build_image()
    folder = tmp_path_factory.mktemp("compose")
    port = free_port()
    project = ["-p", f"tarjama-test-{uuid.uuid4().hex[:8]}"]
    files = ["-f", str(COMPOSE_FILE), "-f", str(override(folder, image, nginx))]
    stack = Stack(
        daemon,
        [*compose, *project, *files],
        {"TARJAMA_LB_PORT": f"127.0.0.1:{port}"},
        f"127.0.0.1:{port}",
    )
    try:
        stack.compose(
            "run", "--rm", "--no-deps", "replica-1",
            "model", "import", "/import/test-model", "--name", "test-model",
        )  # fmt: skip
        # Each replica starts once the one before it is healthy, nginx once both are.
        stack.compose("up", "--detach")
        wait_until_serving(stack.address)
        yield stack
    finally:
        stack.compose("down", "--volumes", "--timeout", "15", check=False)


def wait_until_serving(address: str, timeout: float = 60) -> None:
    """Until nginx answers and a replica behind it serves (nginx starts last)."""
    deadline = time.monotonic() + timeout
    status: HealthStatus | str = "no answer"
    with Translator(address, timeout=5) as translator:
        while time.monotonic() < deadline:
            try:
                status = translator.health("tarjama.v1.Translator")
            except TarjamaError as error:
                status = str(error)
            if status is HealthStatus.SERVING:
                return
            time.sleep(0.2)
    raise AssertionError(f"nothing serving through nginx at {address}: {status}")


def test_a_glossary_write_needs_the_secret_token_and_reaches_both_replicas(
    stack: Stack,
) -> None:
    glossary = Glossary(name="compose", terms=(Term(sources=("كيري",), target="Senator Kerry"),))
    for token, refusal in ((None, "PutGlossary needs a bearer token"), ("wrong", "is wrong")):
        with (
            Translator(stack.address, token=token) as other,
            pytest.raises(Unauthenticated, match=refusal),
        ):
            other.put_glossary(glossary)
    with Translator(stack.address, token=TOKEN) as translator:
        translator.put_glossary(glossary)
        # The replica that did not take the write reads the shared file once its check
        # interval has passed.
        time.sleep(2 * CHECK_MS / 1000)
        results = [
            translator.translate(SENTENCES[0], glossaries=["compose"], skip_cache=True)
            for _ in range(8)
        ]
    for result in results:
        hits = [hit.target_term for pair in result.sentences for hit in pair.term_hits]
        assert hits == ["Senator Kerry"]
    # nginx balances each call, even over the one connection this client keeps.
    assert all(stack.served(name).count("OK") >= 2 for name in REPLICAS)


def test_compose_stop_drains_both_replicas(stack: Stack) -> None:
    """Last: it stops the stack. compose's stop_grace_period outlasts the server's drain, so
    both replicas exit on their own, with status 0."""
    containers = {name: stack.compose("ps", "-q", name).strip() for name in REPLICAS}
    stack.compose("stop", *REPLICAS)
    for name, container in containers.items():
        state = stack.daemon.inspect(container)["State"]
        assert isinstance(state, dict)
        assert state["ExitCode"] == 0, f"{name} was killed, not drained"
        messages = [str(entry["message"]) for entry in stack.daemon.logs(container)]
        assert any(message.startswith("stopped in") for message in messages), name
