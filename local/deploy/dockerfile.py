"""The one Dockerfile every image is built from, and its `.dockerignore`.

Rendered rather than hand-written so the port, the health check and the watchdog's upstream
agree with what compose, `stack.yml` and CI say about the same images.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from local.deploy.common import PORT, http_check
from local.registry import Deployed

if TYPE_CHECKING:
    from local.render import Rendered

PYTHON_IMAGE = "python:3.11.11-slim-bookworm"
WATCHDOG_IMAGE = "ghcr.io/openfaas/of-watchdog:0.10.11"
# Behind the watchdog the app listens on loopback only; the watchdog owns PORT.
UPSTREAM_PORT = 8000
UID = 10001
# The lock `make lock` writes; the image keeps its path, so `-c` reads as in the Makefile.
LOCK = "requirements/constraints.txt"

# Both targets run the same uvicorn; only the address and port differ.
UVICORN_FLAGS = "--no-proxy-headers --no-access-log --no-server-header"
APP = "functions.${FUNCTION}.handler:app"
SERVE = ["sh", "-c", f'exec uvicorn "{APP}" --host 0.0.0.0 --port {PORT} {UVICORN_FLAGS}']
UPSTREAM = f"uvicorn {APP} --host 127.0.0.1 --port {UPSTREAM_PORT} {UVICORN_FLAGS}"

DOCKERFILE = f"""\
# syntax=docker/dockerfile:1
# Rendered by `eventmgr render` (local/deploy/dockerfile.py); do not edit.
#
# One image per function:  docker build --target runtime --build-arg FUNCTION=login .
#   FUNCTION  the folder under functions/ (empty for the `eventmgr` CLI image)
#   EXTRAS    comma-separated pyproject extras the function declares (may be empty)
# Targets: `runtime` (uvicorn on {PORT}: compose, Knative, CI) and `openfaas` (the same app
# behind of-watchdog). `openfaas` comes last because `faas-cli build` cannot pick a target.
# The base images are arguments only so that a machine with no registry can build from local
# stand-ins (`make rehearse`); every deployment builds with these defaults.
ARG PYTHON_IMAGE={PYTHON_IMAGE}
ARG WATCHDOG_IMAGE={WATCHDOG_IMAGE}

FROM ${{WATCHDOG_IMAGE}} AS watchdog

# One stage, its layers from the most shared to the least: every image of a commit shares the
# dependencies, the images of one extras set share the code, and a function's own part is its
# last three steps (an empty layer and its FUNCTION). A builder stage would cost each image a
# copy of the whole venv (hashed again by every build that checks its cache) and save nothing:
# the wheels need no compiler.
FROM ${{PYTHON_IMAGE}} AS runtime
RUN groupadd --system --gid {UID} app \\
    && useradd --system --no-log-init --uid {UID} --gid app --home-dir /app \\
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
COPY {LOCK} ./{LOCK}
RUN touch README.md \\
    && pip install --no-cache-dir -c {LOCK} --disable-pip-version-check . \\
    && rm -rf build ./*.egg-info
ARG EXTRAS=""
RUN if [ -n "$EXTRAS" ]; then \\
        pip install --no-cache-dir -c {LOCK} --disable-pip-version-check ".[$EXTRAS]" \\
        && rm -rf build ./*.egg-info; \\
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
ENV PYTHONPATH=/app \\
    PYTHONUNBUFFERED=1 \\
    PYTHONDONTWRITEBYTECODE=1 \\
    EVENTMGR_DATA_DIR=/tmp/eventmgr
USER {UID}:{UID}
EXPOSE {PORT}
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \\
    CMD {json.dumps(http_check(PORT, "/healthz"))}
# The client address is the app's job (TRUSTED_PROXIES), not uvicorn's: --no-proxy-headers.
# FUNCTION is read when the container starts, so this line is every function's.
CMD {json.dumps(SERVE)}
ARG FUNCTION=""
# A FUNCTION that names no function fails the build, not the container. Being a RUN, this step
# is also what makes each function's image its own under podman 4.3: buildah 1.28's layer cache
# keys a RUN on the arguments' values but ENV and LABEL on their text as written, so without it
# every image of an extras set came out as the first one built (`make rehearse` found it).
RUN test -z "$FUNCTION" || test -f "functions/$FUNCTION/handler.py"
ENV FUNCTION=${{FUNCTION}}

FROM runtime AS openfaas
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
ENV mode=http \\
    upstream_url=http://127.0.0.1:{UPSTREAM_PORT} \\
    fprocess="{UPSTREAM}"
CMD ["fwatchdog"]
"""

# Only what the image copies reaches the builder (no .venv, .eventmgr, secrets or .env).
DOCKERIGNORE = f"""\
# Rendered by `eventmgr render` (local/deploy/dockerfile.py); do not edit.
*
!pyproject.toml
!{LOCK}
!shared/
!eventing/
!functions/
!local/
**/__pycache__
**/*.pyc
"""


def render(deployed: dict[str, Deployed]) -> list[Rendered]:
    from local.render import Rendered

    return [
        Rendered(Path("Dockerfile"), DOCKERFILE),
        Rendered(Path(".dockerignore"), DOCKERIGNORE),
    ]
