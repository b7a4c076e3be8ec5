"""Every image the deployment files name, built from the project's own Dockerfile.

Only the base images are swapped (build arguments `PYTHON_IMAGE`, `WATCHDOG_IMAGE`): no
registry is reachable here. pip in a build trusts the host's CA bundle through a pip.conf
mounted for the build only, so no image carries it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rehearsal.podman import IMAGE_TAG, ROOT, podman

BASE = "localhost/rehearsal/python:3.11-bookworm"
WATCHDOG = "localhost/rehearsal/of-watchdog:standin"
STANDINS = ("postgres", "pgbouncer", "redis", "rabbitmq", "nginx", "s3", "mailpit", "bare-fastapi")
STANDIN_DIR = ROOT / "rehearsal" / "images"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PIP_CONF = ROOT / "rehearsal" / "build" / "pip.conf"
# The module each extra brings; an image must hold exactly its declared extras' modules.
EXTRA_MODULES = {
    "sendgrid": "sendgrid",
    "storage": "minio",
    "media": "PIL",
    "calendar": "icalendar",
    "push": "pywebpush",
    "reports": "matplotlib",
    "web": "jinja2",
}
# Extras that pull in others (pyproject.toml: media and reports need storage).
IMPLIED = {"media": {"storage"}, "reports": {"storage"}}
# Modules an extra brings through its own dependencies (matplotlib requires Pillow).
CARRIED = {"reports": {"PIL"}}


@dataclass(frozen=True)
class Build:
    image: str
    target: str
    function: str
    extras: str

    def modules(self) -> set[str]:
        """The extras' modules this image must carry, and no other extra's."""
        wanted = {e for e in self.extras.split(",") if e}
        for extra in list(wanted):
            wanted |= IMPLIED.get(extra, set())
        return {EXTRA_MODULES[e] for e in wanted} | {
            m for e in wanted for m in CARRIED.get(e, set())
        }


def _tagged(image: str) -> str:
    return image.replace("${IMAGE_TAG:-latest}", IMAGE_TAG)


def builds(compose: dict[str, Any], stack: dict[str, Any]) -> list[Build]:
    """Each image the compose file builds (runtime target) and each `stack.yml` names
    (openfaas target), ordered by extras so builds of one extras set reuse its layer."""
    found: list[Build] = []
    for service in compose["services"].values():
        build = service.get("build")
        if build:
            args = build.get("args") or {}
            found.append(
                Build(
                    _tagged(service["image"]),
                    build.get("target", "runtime"),
                    str(args.get("FUNCTION", "")),
                    str(args.get("EXTRAS", "")),
                )
            )
    for function in stack["functions"].values():
        args = function.get("build_args") or {}
        found.append(
            Build(
                _tagged(function["image"]),
                "openfaas",
                str(args.get("FUNCTION", "")),
                str(args.get("EXTRAS", "")),
            )
        )
    # runtime first: the openfaas stage builds on it (and must not leave its env on it).
    return sorted(found, key=lambda b: (b.extras, b.target != "runtime", b.image))


def declared_builds() -> list[Build]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    stack = yaml.safe_load((ROOT / "stack.yml").read_text())
    return builds(compose, stack)


def _build_options() -> list[str]:
    # Written here, not committed (build/ is ignored): a clean clone has none, and every build
    # mounts it.
    PIP_CONF.parent.mkdir(parents=True, exist_ok=True)
    PIP_CONF.write_text("[global]\ncert = /run/rehearsal-ca.crt\n")
    # Docker's image format: OCI images drop HEALTHCHECK, which the Dockerfile declares.
    return [
        "--format",
        "docker",
        "--volume",
        f"{CA_BUNDLE}:/run/rehearsal-ca.crt:ro",
        "--volume",
        f"{PIP_CONF}:/etc/pip.conf:ro",
    ]


def build_standins() -> float:
    """The stand-in images (cached by podman's layers) and the watchdog stand-in."""
    started = time.monotonic()
    (STANDIN_DIR / "constraints.txt").write_text(
        (ROOT / "requirements/constraints.txt").read_text()
    )
    for name in STANDINS:
        podman(
            "build", "--network=host", *_build_options(), "--build-arg", f"BASE={BASE}",
            "-f", str(STANDIN_DIR / f"{name}.Containerfile"),
            "-t", f"localhost/rehearsal/{name}:standin", str(STANDIN_DIR),
            timeout=1800,
        )  # fmt: skip
    podman(
        "build", "-f", str(STANDIN_DIR / "watchdog.Containerfile"), "-t", WATCHDOG,
        str(STANDIN_DIR),
    )  # fmt: skip
    return time.monotonic() - started


def build(item: Build) -> float:
    started = time.monotonic()
    podman(
        "build", "--network=host", *_build_options(),
        "--target", item.target,
        "--build-arg", f"FUNCTION={item.function}",
        "--build-arg", f"EXTRAS={item.extras}",
        "--build-arg", f"PYTHON_IMAGE={BASE}",
        "--build-arg", f"WATCHDOG_IMAGE={WATCHDOG}",
        "-f", str(ROOT / "Dockerfile"), "-t", item.image, str(ROOT),
        timeout=1800,
    )  # fmt: skip
    found = podman("image", "inspect", "--format", "{{json .Config.Env}}", item.image)
    stray = item.target == "runtime" and '"fprocess=' in found
    served = item.target == "runtime" or f"functions.{item.function}.handler:app" in found
    if f'"FUNCTION={item.function}"' not in found or stray or not served:
        raise RuntimeError(f"{item.image}: built with the wrong environment: {found}")
    return time.monotonic() - started


def size_mb(image: str) -> float:
    return int(podman("image", "inspect", "--format", "{{.Size}}", image).strip()) / 1e6


def extras_found(image: str) -> set[str]:
    """The extras' modules installed in an image's venv, read from its files (no container)."""
    mounted = Path(podman("image", "mount", image).strip())
    try:
        site = next(mounted.glob("opt/venv/lib/python3*/site-packages"))
        return {m for m in EXTRA_MODULES.values() if (site / m).is_dir()}
    finally:
        podman("image", "unmount", image)


def unique(items: Iterable[Build]) -> list[Build]:
    seen: dict[str, Build] = {}
    for item in items:
        seen.setdefault(item.image, item)
    return list(seen.values())
