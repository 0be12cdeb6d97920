# syntax=docker/dockerfile:1.7
# The one xLAM Platform image: API (`xlam server`), worker (`xlam worker`), operator
# (`xlam operator run`), KFP components (`python3 -m kfp.dsl.executor_main`), the trainer
# (`xlam train run`, started by `ray start`/`ray job submit` on KubeRay) and evaluation (`xlam eval`).
#
# CPU (default):  docker build -t ghcr.io/xlam-platform/xlam:0.1.0 .
# GPU (CUDA 12.8): docker build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 \
#                    --build-arg BASE_IMAGE=<a CUDA 12.8 runtime image with Python 3.11> -t ...:0.1.0-cu128 .
# Only package registries are contacted (Debian apt, PyPI, the PyTorch wheel index); dependency
# versions are pinned by image/constraints.txt and TORCH_VERSION.

# Releases pin the base by digest (BASE_IMAGE=python:3.11-slim-bookworm@sha256:...).
ARG BASE_IMAGE=python:3.11-slim-bookworm
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

# ---------------------------------------------------------------- builder: venv with everything
FROM ${BASE_IMAGE} AS builder
ARG TORCH_VERSION
ARG TORCH_INDEX_URL
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 DS_BUILD_OPS=0
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/xlam
ENV PATH=/opt/xlam/bin:$PATH
WORKDIR /src
COPY image/constraints.txt /src/image/constraints.txt
# torch first from the chosen wheel index (CPU or CUDA), so the resolver never swaps it.
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}" \
 && pip install -c image/constraints.txt "setuptools>=69" wheel
COPY pyproject.toml README.md /src/
COPY xlam /src/xlam
COPY platform_contracts /src/platform_contracts
COPY services /src/services
COPY pipelines /src/pipelines
COPY operators /src/operators
RUN pip install -c image/constraints.txt --no-build-isolation "/src[ml,pipelines,services,operators]" \
 && pip check \
 && python -c "import torch, ray, deepspeed, kfp, kopf, fastapi, celery; print('torch', torch.__version__)"

# ---------------------------------------------------------------- final: non-root runtime
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="xlam-platform" \
      org.opencontainers.image.description="xLAM Platform: data, synthesis, training and evaluation of Large Action Models" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0"
# bash + wget: KubeRay wraps `ray start` in bash and its default head/worker probes use wget.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash wget ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 xlam \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin xlam
COPY --from=builder /opt/xlam /opt/xlam
ENV PATH=/opt/xlam/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DS_BUILD_OPS=0 \
    RAY_USAGE_STATS_ENABLED=0
WORKDIR /tmp
USER 10001:10001
# The root filesystem is read-only in every manifest: writable state goes to /tmp (emptyDir).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["xlam", "--help"]
