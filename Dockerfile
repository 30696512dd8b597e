# tarjama server image: `docker build -t tarjama .`, then
#   docker run -v tarjama-data:/var/lib/tarjama -p 50051:50051 tarjama
# The model and the glossaries live in the volume, not in the image: put a converted model
# there once (`docker run --rm -v tarjama-data:/var/lib/tarjama tarjama model import
# /var/lib/tarjama/opus-2019-12-18.zip`, or let the first start fetch it) and every replica
# that mounts it serves the same model and glossaries. See docs/scaling.md.
#
# BASE: any Debian-based image with python3 (3.11+) and python3-venv. Offline builds (no
# registry, no PyPI): a local base (debootstrap + docker import, see docs/scaling.md) and
# wheels downloaded on the host into deploy/docker/wheels/, built with
#   --build-arg PIP_ARGS="--no-index --find-links /wheels"
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
ARG PIP_ARGS=""
WORKDIR /src
COPY deploy/docker/wheels/ /wheels/
COPY pyproject.toml README.md ./
COPY proto/ proto/
COPY server/ server/
COPY client/ client/
COPY glossary/ glossary/
# hadolint ignore=DL3013
RUN python3 -m venv /opt/tarjama \
    && /opt/tarjama/bin/pip install --no-cache-dir ${PIP_ARGS} ".[metrics]"

FROM ${BASE}
# A fixed uid, so a volume prepared elsewhere (a Kubernetes fsGroup, a host folder) can
# be given to it.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/tarjama --create-home \
    tarjama
COPY --from=build /opt/tarjama /opt/tarjama
ENV PATH=/opt/tarjama/bin:$PATH \
    TARJAMA_HOME=/var/lib/tarjama \
    TARJAMA_HOST=0.0.0.0 \
    TARJAMA_PORT=50051 \
    TARJAMA_LOG_FORMAT=json \
    TARJAMA_GRACE_PERIOD_S=10
VOLUME ["/var/lib/tarjama"]
USER 10001:10001
WORKDIR /var/lib/tarjama
EXPOSE 50051
# The server drains on SIGTERM for TARJAMA_GRACE_PERIOD_S; stop it with a longer timeout
# (`docker stop -t 15`, compose's stop_grace_period), or calls in flight are cut off.
STOPSIGNAL SIGTERM
# NOT_SERVING (exit 1) while the model loads: start-period covers a first model fetch.
HEALTHCHECK --interval=10s --timeout=5s --start-period=300s --retries=3 \
    CMD ["tarjama", "health", "--server", "localhost:50051", "--timeout", "4"]
ENTRYPOINT ["tarjama"]
CMD ["serve"]
