"""One traced call, client to server, in a process of its own; prints the spans as JSON.

Run by tests/test_tracing.py as ``python -m tests.trace_propagation MODEL_DIR HOME
sync|aio|stream`` (the client: Translator, AsyncTranslator, or two documents over
Translator.translate_stream). A
process of its own because the client side is turned on the way the README says, with a
global tracer provider, which a process sets once and would keep for every later test.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from opentelemetry import trace
from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcInstrumentorClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tarjama.client import AsyncTranslator, Translator
from tarjama.server.serve.app import create_server
from tarjama.server.serve.config import ServerConfig
from tarjama.server.translate.engine import Engine, EngineOptions

SENTENCE = "أجرى الرئيس الروسي فلاديمير بوتين محادثات مع جون كيري."


def main(model_dir: Path, home: Path, client: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # The client side, as in the README's "Tracing" section.
    trace.set_tracer_provider(provider)
    (GrpcAioInstrumentorClient if client == "aio" else GrpcInstrumentorClient)().instrument()

    engine = Engine(model_dir, EngineOptions(max_decoding_length=8, beam_size=1))
    config = ServerConfig(home=home, host="127.0.0.1", port=0, beam_size=1)
    server, port = create_server(config, engine, tracer_provider=provider)
    server.start()
    try:
        address = f"127.0.0.1:{port}"
        if client == "aio":
            sentences = asyncio.run(aio_calls(address))
        elif client == "stream":
            sentences = stream_calls(address)
        else:
            sentences = sync_calls(address)
    finally:
        server.stop(None).wait()
    spans = [
        {
            "name": span.name,
            "kind": span.kind.name,
            "trace_id": span.context.trace_id,
            "span_id": span.context.span_id,
            "parent_id": span.parent.span_id if span.parent else None,
            "attributes": dict(span.attributes or {}),
        }
        for span in exporter.get_finished_spans()
    ]
    print(json.dumps({"sentences": sentences, "spans": spans}))


def sync_calls(address: str) -> int:
    with Translator(address) as translator:
        translator.health()
        return len(translator.translate(SENTENCE).sentences)


def stream_calls(address: str) -> int:
    with Translator(address) as translator:
        translator.health()
        return sum(len(t.sentences) for t in translator.translate_stream([SENTENCE, SENTENCE]))


async def aio_calls(address: str) -> int:
    async with AsyncTranslator(address) as translator:
        await translator.health()
        return len((await translator.translate(SENTENCE)).sentences)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
