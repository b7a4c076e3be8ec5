# syntax=docker/dockerfile:1
# Rendered by `eventmgr render` (local/deploy/dockerfile.py); do not edit.
#
# One image per function:  docker build --target runtime --build-arg FUNCTION=login .
#   FUNCTION  the folder under functions/ (empty for the `eventmgr` CLI image)
#   EXTRAS    comma-separated pyproject extras the function declares (may be empty)
# Targets: `runtime` (uvicorn on 8080: compose, Knative, CI) and `openfaas` (the same app
# behind of-watchdog). `openfaas` comes last because `faas-cli build` cannot pick a target.
# The base images are arguments only so that a machine with no registry can build from local
# stand-ins (`make rehearse`); every deployment builds with these defaults.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
ARG WATCHDOG_IMAGE=ghcr.io/openfaas/of-watchdog:0.10.11

FROM ${WATCHDOG_IMAGE} AS watchdog

# One stage, its layers from the most shared to the least: every image of a commit shares the
# dependencies, the images of one extras set share the code, and a function's own part is its
# last three steps (an empty layer and its FUNCTION). A builder stage would cost each image a
# copy of the whole venv (hashed again by every build that checks its cache) and save nothing:
# the wheels need no compiler.
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid app --home-dir /app \
        --shell /usr/sbin/nologin app
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies from pyproject.toml alone: no package is there yet, so this installs only the
# dependencies (and the `eventmgr` script), at the lock's versions: every image of a commit
# runs the same ones. This layer is every image's and survives code changes; the next one adds
# only what the extras bring. The build's leftovers go in the same step. pyproject.toml's
# `readme` gets an empty stand-in: with the real README copied, every edit of it would rebuild
# every image's dependencies.
COPY pyproject.toml ./
COPY requirements/constraints.txt ./requirements/constraints.txt
RUN touch README.md \
    && pip install --no-cache-dir -c requirements/constraints.txt --disable-pip-version-check . \
    && rm -rf build ./*.egg-info
ARG EXTRAS=""
RUN if [ -n "$EXTRAS" ]; then \
        pip install --no-cache-dir -c requirements/constraints.txt --disable-pip-version-check ".[$EXTRAS]" \
        && rm -rf build ./*.egg-info; \
    fi
# Owned by root: the app user can read the code, not change it.
WORKDIR /app
COPY shared ./shared
COPY eventing ./eventing
COPY functions ./functions
COPY local ./local
# Bytecode at build: no compile on every cold start. Hash-based .pyc stay valid whatever
# the file times in the image are.
RUN python -m compileall -q -j 0 --invalidation-mode unchecked-hash /app
ENV PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    EVENTMGR_DATA_DIR=/tmp/eventmgr
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
# The client address is the app's job (TRUSTED_PROXIES), not uvicorn's: --no-proxy-headers.
# FUNCTION is read when the container starts, so this line is every function's.
CMD ["sh", "-c", "exec uvicorn \"functions.${FUNCTION}.handler:app\" --host 0.0.0.0 --port 8080 --no-proxy-headers --no-access-log --no-server-header"]
ARG FUNCTION=""
# A FUNCTION that names no function fails the build, not the container. Being a RUN, this step
# is also what makes each function's image its own under podman 4.3: buildah 1.28's layer cache
# keys a RUN on the arguments' values but ENV and LABEL on their text as written, so without it
# every image of an extras set came out as the first one built (`make rehearse` found it).
RUN test -z "$FUNCTION" || test -f "functions/$FUNCTION/handler.py"
ENV FUNCTION=${FUNCTION}

FROM runtime AS openfaas
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
ENV mode=http \
    upstream_url=http://127.0.0.1:8000 \
    fprocess="uvicorn functions.${FUNCTION}.handler:app --host 127.0.0.1 --port 8000 --no-proxy-headers --no-access-log --no-server-header"
CMD ["fwatchdog"]
