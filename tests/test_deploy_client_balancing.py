"""Client-side balancing without a proxy: one Translator whose target names two replicas
(a list of addresses, or a DNS name with an address per replica, as a headless Kubernetes
Service gives) spreads its calls over both."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tarjama.client import Translator
from tests.replicas import SENTENCES, Replica, spread, start_replica

NAME = "replicas.tarjama.test"


def _calls_spread(target: str, backends: list[Replica]) -> list[int]:
    before = spread(backends)
    with Translator(target) as translator:
        for _ in range(20):
            translator.translate(SENTENCES[0], skip_cache=True)
    return [after - earlier for after, earlier in zip(spread(backends), before, strict=True)]


@contextmanager
def two_replicas(root: Path, hosts: tuple[str, str]) -> Iterator[list[Replica]]:
    """Replicas on ``hosts`` and the same port (as behind one DNS name), one glossary folder."""
    first = start_replica(root / "replica-1", root / "glossaries", host=hosts[0])
    try:
        second = start_replica(
            root / "replica-2", root / "glossaries", host=hosts[1], port=first.port
        )
        try:
            yield [first, second]
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_list_of_addresses_spreads_calls_round_robin(tmp_path: Path) -> None:
    with two_replicas(tmp_path, ("127.0.0.1", "127.0.0.2")) as backends:
        target = "ipv4:" + ",".join(backend.address for backend in backends)
        served = _calls_spread(target, backends)
    assert sum(served) == 20
    assert min(served) >= 5, f"calls per replica: {served}"


def _answer(query: bytes, addresses: list[str]) -> bytes:
    """A DNS response to ``query``: A records for NAME, no record of other types, NXDOMAIN
    for other names."""
    (ident,) = struct.unpack("!H", query[:2])
    labels, offset = [], 12
    while query[offset]:
        length = query[offset]
        labels.append(query[offset + 1 : offset + 1 + length].decode("ascii"))
        offset += 1 + length
    qtype, _ = struct.unpack("!HH", query[offset + 1 : offset + 5])
    question = query[12 : offset + 5]
    known = ".".join(labels).lower() == NAME
    records = addresses if known and qtype == 1 else []
    flags = 0x8180 if known else 0x8183  # a response, recursion available; NXDOMAIN
    header = struct.pack("!HHHHHH", ident, flags, 1, len(records), 0, 0)
    answers = b"".join(
        struct.pack("!HHHIH", 0xC00C, 1, 1, 1, 4) + socket.inet_aton(address) for address in records
    )
    return header + question + answers


@contextmanager
def dns_server(addresses: list[str]) -> Iterator[str]:
    """A DNS server on loopback that knows one name; yields its host:port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                query, client = sock.recvfrom(512)
            except TimeoutError:
                continue
            sock.sendto(_answer(query, addresses), client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_a_dns_name_with_an_address_per_replica_spreads_calls(tmp_path: Path) -> None:
    """``dns:///NAME:PORT`` asks the system's DNS server; this test names its own server in
    the target's authority (``dns://SERVER/NAME:PORT``), the same resolver otherwise."""
    with (
        two_replicas(tmp_path, ("127.0.0.1", "127.0.0.2")) as backends,
        dns_server([backend.host for backend in backends]) as server,
    ):
        served = _calls_spread(f"dns://{server}/{NAME}:{backends[0].port}", backends)
    assert sum(served) == 20
    assert min(served) >= 5, f"calls per replica: {served}"
