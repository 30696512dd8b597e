"""A stand-in tarjama server for client tests that need what a real one will not do on cue.

It fails on command (UNAVAILABLE a number of times, RESOURCE_EXHAUSTED with a retry
delay, slow answers), reports NOT_SERVING, and records the metadata it received. Its
"translation" is not a translation: each sentence becomes "Sentence N", followed by the
English renderings of the glossary terms found in it, so spans and term hits are real
and checkable without a model.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from tarjama.client.cli import main
from tarjama.glossary import Glossary, GlossaryError, Matcher, parse_glossary
from tarjama.server.translate.segment import segment
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc
from tarjama.wire import glossary_from_proto, glossary_to_proto, term_from_proto

SERVICE_NAME = "tarjama.v1.Translator"


@dataclass
class Script:
    """What the fake does next; tests change it between calls."""

    unavailable_times: int = 0  # fail this many calls with failure_code first
    # UNAVAILABLE, or CANCELLED as a server answers a call it accepted but never ran
    # because its graceful shutdown began
    failure_code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    busy_retry_after_ms: int | None = None  # answer RESOURCE_EXHAUSTED with this delay
    delay_s: float = 0.0  # sleep before answering Translate
    token: str = ""  # bearer token writes need; "" for none
    calls: list[str] = field(default_factory=list)
    metadata: list[dict[str, str]] = field(default_factory=list)


class FakeTranslator(translator_pb2_grpc.TranslatorServicer):
    def __init__(self, script: Script, glossaries: list[Glossary]) -> None:
        self.script = script
        self.glossaries = {glossary.name: glossary for glossary in glossaries}
        self.lock = threading.Lock()

    def _enter(self, name: str, context: grpc.ServicerContext) -> None:
        with self.lock:
            self.script.calls.append(name)
            self.script.metadata.append(dict(context.invocation_metadata()))
            if self.script.unavailable_times > 0:
                self.script.unavailable_times -= 1
                context.abort(self.script.failure_code, "the server is starting")

    def _require_token(self, context: grpc.ServicerContext) -> None:
        if not self.script.token:
            return
        given = dict(context.invocation_metadata()).get("authorization", "")
        if given != f"Bearer {self.script.token}":
            context.abort(
                grpc.StatusCode.UNAUTHENTICATED,
                "glossary writes need a bearer token: pass the server's token",
            )

    def Translate(self, request, context):
        self._enter("Translate", context)
        return self._translate(request, context)

    def TranslateStream(self, request_iterator, context) -> Iterator[pb.TranslateResponse]:
        self._enter("TranslateStream", context)
        for request in request_iterator:
            yield self._translate(request, context)

    def _translate(self, request: pb.TranslateRequest, context) -> pb.TranslateResponse:
        if self.script.busy_retry_after_ms is not None:
            context.set_trailing_metadata(
                (("retry-after-ms", str(self.script.busy_retry_after_ms)),)
            )
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "the translation queue is full")
        time.sleep(self.script.delay_s)
        if not request.text.strip():
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "text is empty: send Arabic text")
        names = list(request.glossaries) or (
            [] if request.options.no_default_glossaries else ["news"]
        )
        missing = [name for name in names if name not in self.glossaries]
        if missing:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no glossary named {missing[0]!r}")
        matcher = Matcher(
            [(name, self.glossaries[name]) for name in names],
            [term_from_proto(term) for term in request.terms],
        )
        return _fake_translation(request, matcher, [self.glossaries[n] for n in names])

    def ListGlossaries(self, request, context):
        self._enter("ListGlossaries", context)
        return pb.ListGlossariesResponse(
            glossaries=[
                pb.Glossary(name=g.name, version=g.version or 1, term_count=len(g.terms))
                for g in sorted(self.glossaries.values(), key=lambda g: g.name)
            ]
        )

    def GetGlossary(self, request, context):
        self._enter("GetGlossary", context)
        glossary = self.glossaries.get(request.name)
        if glossary is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no glossary named {request.name!r}")
        message = glossary_to_proto(glossary)
        message.version = glossary.version or 1
        return message

    def PutGlossary(self, request, context):
        self._enter("PutGlossary", context)
        self._require_token(context)
        try:
            glossary = (
                parse_glossary(request.yaml, "request")
                if request.WhichOneof("content") == "yaml"
                else glossary_from_proto(request.glossary)
            )
        except GlossaryError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        previous = self.glossaries.get(glossary.name)
        version = (previous.version or 1) + 1 if previous else 1
        self.glossaries[glossary.name] = Glossary(
            glossary.name, glossary.terms, glossary.description, version=version
        )
        return self.GetGlossary(pb.GetGlossaryRequest(name=glossary.name), context)

    def DeleteGlossary(self, request, context):
        self._enter("DeleteGlossary", context)
        self._require_token(context)
        glossary = self.glossaries.pop(request.name, None)
        if glossary is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no glossary named {request.name!r}")
        return pb.DeleteGlossaryResponse(name=request.name, version=glossary.version or 1)

    def GetModelInfo(self, request, context):
        self._enter("GetModelInfo", context)
        return pb.ModelInfo(
            name="fake-ar-en",
            source_language="ar",
            target_language="en",
            default_beam_size=4,
            default_glossaries=["news"],
            limits=pb.Limits(max_characters=100_000, max_sentences=2_000, max_beam_size=16),
        )


def _fake_translation(
    request: pb.TranslateRequest, matcher: Matcher, glossaries: list[Glossary]
) -> pb.TranslateResponse:
    text = request.text
    pieces: list[str] = []
    pairs: list[pb.SentencePair] = []
    offset = 0
    previous_paragraph = None
    for index, sentence in enumerate(segment(text)):
        if previous_paragraph is not None:
            separator = "\n" if sentence.paragraph != previous_paragraph else " "
            pieces.append(separator)
            offset += 1
        previous_paragraph = sentence.paragraph
        source = text[sentence.start : sentence.end]
        target = f"Sentence {index + 1}"
        hits = []
        for match in matcher.find(source):
            target += ", "
            hits.append(
                pb.TermHit(
                    glossary=match.glossary,
                    source_term=match.source_form,
                    target_term=match.target,
                    source_span=pb.Span(
                        start=sentence.start + match.start, end=sentence.start + match.end
                    ),
                    target_span=pb.Span(
                        start=offset + len(target), end=offset + len(target) + len(match.target)
                    ),
                    method="inline",
                )
            )
            target += match.target
        target += "."
        pairs.append(
            pb.SentencePair(
                source=source,
                target=target,
                source_span=pb.Span(start=sentence.start, end=sentence.end),
                target_span=pb.Span(start=offset, end=offset + len(target)),
                term_hits=hits,
                score=-0.5,
            )
        )
        pieces.append(target)
        offset += len(target)
    return pb.TranslateResponse(
        request_id=request.request_id or "fake-1",
        translation="".join(pieces),
        sentences=pairs,
        model="fake-ar-en",
        glossaries=[pb.GlossaryRef(name=g.name, version=g.version or 1) for g in glossaries],
        stats=pb.TranslateStats(source_characters=len(text), sentences=len(pairs)),
    )


@dataclass
class FakeServer:
    address: str
    script: Script
    servicer: FakeTranslator
    health: health.HealthServicer
    server: grpc.Server

    def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for service in ("", SERVICE_NAME):
            self.health.set(service, status)

    def stop(self) -> None:
        self.server.stop(grace=None)


def start_fake_server(
    glossaries: list[Glossary],
    script: Script | None = None,
    *,
    tls_key_and_cert: tuple[bytes, bytes] | None = None,
) -> FakeServer:
    """Serves on a free loopback port; with a PEM key and certificate, over TLS only."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    servicer = FakeTranslator(script or Script(), glossaries)
    translator_pb2_grpc.add_TranslatorServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if tls_key_and_cert is None:
        host, port = "127.0.0.1", server.add_insecure_port("127.0.0.1:0")
    else:
        credentials = grpc.ssl_server_credentials([tls_key_and_cert])
        host, port = "localhost", server.add_secure_port("localhost:0", credentials)
    server.start()
    fake = FakeServer(f"{host}:{port}", servicer.script, servicer, health_servicer, server)
    fake.set_serving(True)
    return fake


@dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    stdin: bytes | None = None,
    terminal: bool = False,
) -> CliRun:
    """Runs `tarjama ARGV` in this process; `stdin` is piped in, `terminal` fakes a TTY."""
    piped = io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8")
    monkeypatch.setattr(piped, "isatty", lambda: stdin is None, raising=False)
    monkeypatch.setattr(sys, "stdin", piped)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal, raising=False)
    capsys.readouterr()
    exit_code = main(argv)
    captured = capsys.readouterr()
    return CliRun(exit_code, captured.out, captured.err)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway key and self-signed certificate for "localhost" (needs openssl)."""
    key, cert = directory / "server.key", directory / "server.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert
