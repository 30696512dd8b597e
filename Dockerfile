# tarjama server image: `docker build -t tarjama .`, then
#   docker run -v tarjama-data:/var/lib/tarjama -p 50051:50051 tarjama
# The model and the glossaries live in the volume, not in the image: put a converted model
# there once (`docker run --rm -v tarjama-data:/var/lib/tarjama -v "$PWD/models:/import:ro"
# tarjama model import /import/opus-2019-12-18.zip`, or let the first start fetch it) and
# every replica that mounts it serves the same model and glossaries. See docs/scaling.md.
#
# Build arguments, for machines that cannot reach a registry or PyPI:
#   BASE      any Debian-based image with python3 (3.11) and python3-venv, e.g. a local one
#             made with debootstrap and `docker import` (deploy/docker/prepare-offline.sh)
#   PIP_ARGS  where pip finds packages: PyPI by default; offline, wheels downloaded on the
#             host into deploy/docker/wheels/ and --build-arg PIP_ARGS="--no-index
#             --find-links /wheels"
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
ARG PIP_ARGS=""
WORKDIR /src
COPY deploy/docker/wheels/ /wheels/
COPY pyproject.toml README.md ./
# The dependencies first, in a layer of their own, so that a change to the sources
# reinstalls tarjama alone. They are read from pyproject.toml, the one list there is.
# hadolint ignore=DL3013
RUN python3 -m venv /opt/tarjama \
    && python3 -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
print(*p["dependencies"], *p["optional-dependencies"]["metrics"], sep="\n")' > requirements.txt \
    && /opt/tarjama/bin/pip install --no-cache-dir ${PIP_ARGS} -r requirements.txt
COPY proto/ proto/
COPY server/ server/
COPY client/ client/
COPY glossary/ glossary/
# hadolint ignore=DL3013
RUN /opt/tarjama/bin/pip install --no-cache-dir --no-deps ${PIP_ARGS} . \
    && /opt/tarjama/bin/pip check

FROM ${BASE}
# A fixed uid, so a volume prepared elsewhere (a Kubernetes fsGroup, a host folder) can
# be given to it.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/tarjama --create-home \
    tarjama
COPY --from=build /opt/tarjama /opt/tarjama
# The grace period is below `docker stop`'s default 10 s, so a plain stop drains the calls
# in flight before Docker kills the server; with a longer TARJAMA_GRACE_PERIOD_S, stop it
# with a longer timeout (`docker stop -t`, compose's stop_grace_period).
ENV PATH=/opt/tarjama/bin:$PATH \
    TARJAMA_HOME=/var/lib/tarjama \
    TARJAMA_HOST=0.0.0.0 \
    TARJAMA_PORT=50051 \
    TARJAMA_LOG_FORMAT=json \
    TARJAMA_GRACE_PERIOD_S=8
VOLUME ["/var/lib/tarjama"]
USER 10001:10001
WORKDIR /var/lib/tarjama
EXPOSE 50051
STOPSIGNAL SIGTERM
# NOT_SERVING (exit 1) until the model is loaded: start-period covers a first model fetch.
# Through a shell, so that the check follows TARJAMA_PORT when a deployment changes it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=300s --retries=3 \
    CMD ["/bin/sh", "-c", "exec tarjama health --server 127.0.0.1:$TARJAMA_PORT --service tarjama.v1.Translator --timeout 4"]
ENTRYPOINT ["tarjama"]
CMD ["serve"]
