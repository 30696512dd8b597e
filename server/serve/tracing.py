"""OpenTelemetry tracing of the server: a span for every call and its pipeline stages.

Off unless ``otel_exporter`` is ``console`` or ``otlp`` (or the caller hands the server a
tracer provider of its own). Then the server builds an SDK tracer provider, exports
through a batch span processor, puts ``opentelemetry-instrumentation-grpc``'s server
interceptor in front of every call (it continues a trace the client started, from the
``traceparent`` header) and points :mod:`tarjama.tracing`'s stage spans at the provider.

OpenTelemetry's own environment variables keep their meaning, read where OpenTelemetry
reads them: ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` (the service is
"tarjama" unless they name it), ``OTEL_TRACES_SAMPLER[_ARG]``, ``OTEL_BSP_*``,
``OTEL_EXPORTER_OTLP_*`` (endpoint, headers, certificates), ``OTEL_PROPAGATORS``,
``OTEL_SDK_DISABLED``, and ``OTEL_PYTHON_GRPC_EXCLUDED_SERVICES`` (here defaulting to the
health service, whose probes would otherwise fill the traces).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import grpc

from tarjama import __version__, tracing

EXCLUDED_SERVICES_ENV = "OTEL_PYTHON_GRPC_EXCLUDED_SERVICES"
DEFAULT_EXCLUDED_SERVICES = ("grpc.health.v1.Health",)  # probes, every few seconds
_INSTALL = "run `pip install 'tarjama[otel]'`, or set otel_exporter to none"


class TracingError(RuntimeError):
    """Tracing was asked for but cannot start; the message says what to install."""


def _require(module: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise TracingError(
            f"OpenTelemetry tracing needs {package}, which is not installed: {_INSTALL}"
        ) from error


@dataclass
class ServerTracing:
    """The tracer provider one server traces into."""

    provider: Any
    owned: bool  # built from otel_exporter here: flushed and shut down by close()

    def interceptors(self) -> list[grpc.ServerInterceptor]:
        """The instrumentation's interceptor, then one that tells it the status a call
        ends with through ``abort_with_status``, which it does not see."""
        return [self._call_spans(), _AbortStatusInterceptor()]

    def _call_spans(self) -> Any:
        """The server interceptor of ``opentelemetry-instrumentation-grpc``."""
        instrumentation = _require(
            "opentelemetry.instrumentation.grpc", "opentelemetry-instrumentation-grpc"
        )
        excluded = excluded_services()
        filters = instrumentation.filters
        keep = (
            filters.negate(filters.any_of(*map(filters.service_name, excluded)))
            if excluded
            else None
        )
        return instrumentation.server_interceptor(tracer_provider=self.provider, filter_=keep)

    def close(self) -> None:
        """Stops sending stage spans here; exports what is left if the provider is ours."""
        tracing.release_tracer_provider(self.provider)
        if self.owned:
            self.provider.shutdown()  # flushes the batch span processor


def excluded_services(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """Services whose calls get no span: OTEL_PYTHON_GRPC_EXCLUDED_SERVICES (comma-separated,
    empty for none) when set, else the health service."""
    raw = (os.environ if environ is None else environ).get(EXCLUDED_SERVICES_ENV)
    if raw is None:
        return DEFAULT_EXCLUDED_SERVICES
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def start_tracing(exporter: str, provider: Any = None) -> ServerTracing | None:
    """Tracing into ``provider`` if given, else into a provider exporting to ``exporter``
    (``console`` or ``otlp``); None when neither asks for it (``none``)."""
    if provider is None:
        if exporter == "none":
            return None
        provider, owned = build_provider(exporter), True
    else:
        owned = False
    _require("opentelemetry.instrumentation.grpc", "opentelemetry-instrumentation-grpc")
    tracing.use_tracer_provider(provider)
    return ServerTracing(provider, owned)


def build_provider(exporter: str) -> Any:
    """An SDK tracer provider whose batch span processor exports to ``exporter``."""
    sdk = _require("opentelemetry.sdk.trace", "opentelemetry-sdk")
    export = _require("opentelemetry.sdk.trace.export", "opentelemetry-sdk")
    if exporter == "console":
        span_exporter = export.ConsoleSpanExporter()
    elif exporter == "otlp":
        otlp = _require(
            "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
            "opentelemetry-exporter-otlp-proto-grpc (the OTLP exporter)",
        )
        span_exporter = otlp.OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_* say where
    else:
        raise TracingError(f"unknown otel_exporter {exporter!r}: use none, console or otlp")
    provider = sdk.TracerProvider(resource=_resource())
    provider.add_span_processor(export.BatchSpanProcessor(span_exporter))
    return provider


def _resource() -> Any:
    """OpenTelemetry's resource from the environment, named tarjama unless it names it."""
    resources = _require("opentelemetry.sdk.resources", "opentelemetry-sdk")
    resource = resources.Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        own = {"service.name": "tarjama", "service.version": __version__}
        resource = resource.merge(resources.Resource(own))
    return resource


# The codes that make a server span an error, as OpenTelemetry's gRPC conventions say (a
# client's mistake, INVALID_ARGUMENT say, is not the server's error: only the code is kept).
_SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


class _AbortStatusInterceptor(grpc.ServerInterceptor):
    """Gives each servicer a context whose ``abort_with_status`` marks the call's span."""

    def intercept_service(
        self, continuation: Callable[[Any], Any], handler_call_details: Any
    ) -> Any:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        kinds = {
            (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
            (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
            (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
            (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
        }
        name, make = kinds[(handler.request_streaming, handler.response_streaming)]
        behavior = getattr(handler, name)
        return make(
            lambda request, context: behavior(request, _AbortStatusContext(context)),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class _AbortStatusContext:
    def __init__(self, context: Any) -> None:
        self._context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def abort_with_status(self, status: grpc.Status) -> None:
        from opentelemetry import trace  # installed: this runs only with tracing on

        span = trace.get_current_span()  # the call's: stages have ended by now
        span.set_attribute("rpc.grpc.status_code", status.code.value[0])
        if status.code in _SERVER_ERRORS:
            span.set_status(trace.StatusCode.ERROR, f"{status.code}:{status.details}")
        self._context.abort_with_status(status)
