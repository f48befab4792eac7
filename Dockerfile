# syntax=docker/dockerfile:1
# The malwar service image: `docker build -t ghcr.io/ap6pack/malwar:0.1.0 .`
#
# Two stages so the runtime image has no compiler, no build backend and no
# source tree: only a virtualenv with malwar and its runtime dependencies.
# It runs as uid 1000 and writes only to /data (the database volume) and /tmp,
# so it works with a read-only root filesystem (the Helm chart turns that on).

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY malwar ./malwar
# A plain install, no [test] extra: the image carries no dev tools. pip
# compiles the bytecode here, since the read-only runtime cannot.
RUN python -m venv /opt/malwar \
    && /opt/malwar/bin/pip install .

FROM ${PYTHON_IMAGE} AS runtime
ARG MALWAR_UID=1000
LABEL org.opencontainers.image.title="malwar" \
      org.opencontainers.image.description="Static scanner for malicious AI-agent skill files: HTTP service" \
      org.opencontainers.image.source="https://github.com/ap6pack/malwar" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --gid "${MALWAR_UID}" malwar \
    && useradd --uid "${MALWAR_UID}" --gid "${MALWAR_UID}" --no-create-home \
       --home-dir /tmp --shell /usr/sbin/nologin malwar \
    && mkdir -p /data \
    && chown "${MALWAR_UID}:${MALWAR_UID}" /data
COPY --from=build /opt/malwar /opt/malwar
ENV PATH=/opt/malwar/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    MALWAR_DB_PATH=/data/malwar.db
# Read-only on purpose: nothing is written to the working directory.
WORKDIR /app
VOLUME ["/data"]
USER ${MALWAR_UID}:${MALWAR_UID}
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4)"]
ENTRYPOINT ["malwar"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
