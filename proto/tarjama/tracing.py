"""OpenTelemetry spans for tarjama's stages (segment, glossary match, model calls).

Shared by ``tarjama.glossary``, ``tarjama.server`` and the bulk path, so it sits at the
top of the namespace. OpenTelemetry is optional (``pip install 'tarjama[otel]'``):

- not installed: :func:`stage` hands back one shared do-nothing context, no import, no
  allocation;
- installed but no tracer provider set: the same do-nothing context, after one check
  that none is set; a program that sets a global tracer provider (or runs under
  ``opentelemetry-instrument``) sees tarjama's stages from then on, without tarjama
  being told;
- a server started with ``otel_exporter`` (``tarjama.server.serve.tracing``) points
  the stages at its own tracer provider with :func:`use_tracer_provider`.

``bench/tracing.py`` measures what a stage costs in each case.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from tarjama import __version__

try:
    from opentelemetry import trace
except ImportError:  # the optional extra is not installed
    trace = None  # type: ignore[assignment]

TRACER_NAME = "tarjama"
Attributes = Mapping[str, str | bool | int | float]


class StageSpan(Protocol):
    """What a stage does with its span: add what it learnt while it ran."""

    def set_attribute(self, key: str, value: Any) -> None: ...


class _NoSpan:
    def set_attribute(self, key: str, value: Any) -> None:
        return None


_NO_STAGE: AbstractContextManager[StageSpan] = nullcontext(_NoSpan())
_tracer: Any = trace.get_tracer(TRACER_NAME, __version__) if trace is not None else None
_provider: object = None  # the provider use_tracer_provider() set, if any


def stage(name: str, attributes: Attributes | None = None) -> AbstractContextManager[StageSpan]:
    """A span around one stage, a child of the current span (the call's, on the server)."""
    if _tracer is None or (_provider is None and _no_provider_set()):
        return _NO_STAGE
    return _tracer.start_as_current_span(name, attributes=attributes)  # type: ignore[no-any-return]


def _no_provider_set() -> bool:
    """Nobody set a tracer provider. OpenTelemetry would hand out its no-op tracer, whose
    spans still switch the current context in and out, ten times the cost of this check
    (bench/tracing.py)."""
    return isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def use_tracer_provider(provider: object) -> None:
    """Sends the stages' spans to ``provider`` (an SDK TracerProvider); ``None`` sends them
    back to the global one."""
    global _tracer, _provider
    if trace is None:
        raise RuntimeError("OpenTelemetry is not installed: pip install 'tarjama[otel]'")
    _provider = provider
    _tracer = trace.get_tracer(TRACER_NAME, __version__, provider)  # type: ignore[arg-type]


def release_tracer_provider(provider: object) -> None:
    """Undoes :func:`use_tracer_provider` if ``provider`` is still the one in use (a server
    that stops leaves another's provider alone)."""
    if provider is not None and provider is _provider:
        use_tracer_provider(None)
