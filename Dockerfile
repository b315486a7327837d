# syntax=docker/dockerfile:1
# Legato's images, from one file (built on machines with Docker; not on the CI machines):
#
#   docker build --target worker-base -t legato/worker-base .   # base image for SDK workers
#   docker build -t legato/operator .                            # the server (last stage)
#
# A worker image is then `FROM legato/worker-base` + the user's code (see examples/).

ARG PYTHON_VERSION=3.11

# --- base: Python, no build tools, a non-root user ---------------------------------------
FROM python:${PYTHON_VERSION}-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --uid 10001 --gid 0 --no-create-home --shell /usr/sbin/nologin legato

# --- wheels: both distributions, built once ----------------------------------------------
FROM base AS wheels
WORKDIR /src
COPY sdk/ sdk/
COPY operator/ operator/
RUN pip wheel --no-deps --wheel-dir /wheels ./sdk ./operator

# --- worker-base: the legato SDK, for SDK worker images ----------------------------------
FROM base AS worker-base
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --find-links /wheels /wheels/legato-*.whl
WORKDIR /app
USER 10001

# --- server: legato-operator (API server, engine, kopf operator) -------------------------
FROM base AS server
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --find-links /wheels /wheels/legato_operator-*.whl
USER 10001
EXPOSE 7233
ENTRYPOINT ["legato-operator"]
CMD ["run"]
