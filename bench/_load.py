"""Traffic against the running server.

Concurrent clients are threads, released together, each sending its one-sentence
requests back to back (a closed loop) on its own connection, as separate client programs
would. They use the generated stub with the client library's request builder: the
``Translator`` class cannot be given channel options, and without
``grpc.use_local_subchannel_pool`` every channel in a process shares one HTTP/2
connection, on which the server refuses streams beyond its ``max_concurrent_streams``.
Requests carry no glossary, so the server runs the same decode per sentence as the raw
engine and the comparison measures what serving costs; sentences are all distinct, so the
cache never answers.

Whole articles (Translate, TranslateStream) go through the real ``Translator``.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc

from bench._raw import RawEngine, process_cpu_seconds, single_latency
from tarjama.client import TranslateOptions, Translator
from tarjama.client.calls import translate_request
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc as pb_grpc

# Generous: at 64 clients on 2 busy cores a request waits for two full batches.
CALL_TIMEOUT_S = 600.0
CONNECT_TIMEOUT_S = 30.0
# After a direct engine call, CTranslate2's idle threads spin briefly; let them stop.
IDLE_PAUSE_S = 0.05
PLAIN = TranslateOptions(no_default_glossaries=True)

ServerCpu = Callable[[], float | None]


class ScenarioError(Exception):
    """A scenario did not run as designed (an RPC failed, a result was not what was sent)."""


@dataclass(frozen=True)
class LoadResult:
    clients: int
    sentences: int
    seconds: float
    latencies: tuple[float, ...]  # sorted
    client_cpu_s: float | None  # this process's CPU time during the run
    server_cpu_s: float | None

    @property
    def sentences_per_s(self) -> float:
        return self.sentences / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[18]


@dataclass(frozen=True)
class SingleClientResult:
    server: LoadResult
    direct_latencies: tuple[float, ...]  # the same sentences, translated by the raw engine

    @property
    def direct_p50(self) -> float:
        return statistics.median(self.direct_latencies)


@dataclass(frozen=True)
class DocumentResult:
    sentences: int
    translated: int  # sentences the server sent to the model
    cached: int  # sentences the server answered from its cache
    term_hits: int
    seconds: float
    server_cpu_s: float | None

    @property
    def sentences_per_s(self) -> float:
        return self.sentences / self.seconds


class _Client:
    """One client program: its own connection and stub."""

    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(
            address, options=[("grpc.use_local_subchannel_pool", 1)]
        )
        grpc.channel_ready_future(self.channel).result(timeout=CONNECT_TIMEOUT_S)
        self.stub = pb_grpc.TranslatorStub(self.channel)

    def translate(self, sentence: str) -> None:
        request = translate_request(sentence, options=PLAIN)
        _check_one_sentence(self.stub.Translate(request, timeout=CALL_TIMEOUT_S))


def _check_one_sentence(response: pb.TranslateResponse) -> None:
    stats = response.stats
    if stats.sentences != 1 or stats.translated_sentences != 1:
        raise ScenarioError(
            f"a one-sentence request came back as {stats.sentences} sentences, "
            f"{stats.translated_sentences} translated, {stats.cached_sentences} cached"
        )


def run_clients(address: str, work: Sequence[Sequence[str]], server_cpu: ServerCpu) -> LoadResult:
    """One client thread per entry of ``work``, each translating its sentences in turn."""
    clients = [_Client(address) for _ in work]
    start = threading.Barrier(len(work) + 1)
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(client: _Client, sentences: Sequence[str]) -> None:
        start.wait()
        for sentence in sentences:
            began = time.perf_counter()
            try:
                client.translate(sentence)
            except Exception as error:  # the scenario fails with the first one
                with lock:
                    failures.append(error)
                return
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [
        threading.Thread(target=run, args=(client, sentences), daemon=True)
        for client, sentences in zip(clients, work, strict=True)
    ]
    for thread in threads:
        thread.start()
    cpu_before, server_before = process_cpu_seconds(), server_cpu()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    cpu, server_after = process_cpu_seconds() - cpu_before, server_cpu()
    for client in clients:
        client.channel.close()
    if failures:
        raise ScenarioError(f"{len(failures)} requests failed; first: {failures[0]!r}")
    return LoadResult(
        clients=len(work),
        sentences=len(latencies),
        seconds=seconds,
        latencies=tuple(sorted(latencies)),
        client_cpu_s=cpu,
        server_cpu_s=_difference(server_before, server_after),
    )


def run_single_client(
    address: str, sentences: Sequence[str], engine: RawEngine, server_cpu: ServerCpu
) -> SingleClientResult:
    """One client; each sentence is translated directly, then through the server.

    Alternating the two makes both see the same background load on a shared machine.
    """
    client = _Client(address)
    direct: list[float] = []
    latencies: list[float] = []
    server_before = server_cpu()
    for sentence, pieces in zip(sentences, engine.pieces(sentences), strict=True):
        direct.append(single_latency(engine, pieces))
        time.sleep(IDLE_PAUSE_S)
        began = time.perf_counter()
        client.translate(sentence)
        latencies.append(time.perf_counter() - began)
        time.sleep(IDLE_PAUSE_S)
    server_after = server_cpu()
    client.channel.close()
    load = LoadResult(
        clients=1,
        sentences=len(latencies),
        seconds=sum(latencies),
        latencies=tuple(sorted(latencies)),
        client_cpu_s=None,  # this process also ran the direct calls
        server_cpu_s=_difference(server_before, server_after),
    )
    return SingleClientResult(load, tuple(sorted(direct)))


def translate_document(
    address: str,
    paragraphs: Sequence[str],
    *,
    stream: bool,
    glossary: bool,
    server_cpu: ServerCpu,
) -> DocumentResult:
    """The article as one Translate call, or one TranslateStream with a paragraph each;
    with the server's default (news) glossary or none."""
    with Translator(address, timeout=CALL_TIMEOUT_S, retries=0) as translator:
        translator.model_info()
        server_before = server_cpu()
        began = time.perf_counter()
        if stream:
            options = TranslateOptions(no_default_glossaries=not glossary)
            responses = translator.translate_stream(
                paragraphs, options=options, timeout=CALL_TIMEOUT_S
            )
            results = list(responses)
        else:
            text = "\n".join(paragraphs)
            results = [translator.translate(text, no_default_glossaries=not glossary)]
        seconds = time.perf_counter() - began
        server_after = server_cpu()
    if stream and len(results) != len(paragraphs):
        raise ScenarioError(f"the stream answered {len(results)} of {len(paragraphs)} paragraphs")
    return DocumentResult(
        sentences=sum(r.stats.sentences for r in results),
        translated=sum(r.stats.translated_sentences for r in results),
        cached=sum(r.stats.cached_sentences for r in results),
        term_hits=sum(r.stats.term_hits for r in results),
        seconds=seconds,
        server_cpu_s=_difference(server_before, server_after),
    )


def _difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before
