"""The lock (requirements/constraints.txt) agrees with pyproject.toml, and every install uses it.

Re-resolving needs the index, so the check is the offline half: every requirement of every
extra has a pin in the lock that satisfies it, on the Python and platform the images run.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = "requirements/constraints.txt"
# The Dockerfile's base image (python:3.11.x-slim on linux); the lock covers later ones too.
TARGET: dict[str, str] = {
    **{key: str(value) for key, value in default_environment().items()},
    "python_version": "3.11",
    "python_full_version": "3.11.11",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def requirements(pyproject: str) -> list[Requirement]:
    """The project's dependencies and every extra's, without its references to itself."""
    project = tomllib.loads(pyproject)["project"]
    listed = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        listed.extend(extra)
    found = [Requirement(line) for line in listed]
    return [r for r in found if canonicalize_name(r.name) != canonicalize_name(project["name"])]


def pins(lock: str) -> dict[str, Version]:
    """The lock's pins that apply to the target (a universal lock forks by Python version)."""
    pinned: dict[str, Version] = {}
    for raw in lock.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate(TARGET):
            continue
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", line
        pinned[canonicalize_name(requirement.name)] = Version(specifier.version)
    return pinned


def disagreements(pyproject: str, lock: str) -> list[str]:
    pinned = pins(lock)
    found = []
    for requirement in requirements(pyproject):
        if requirement.marker and not requirement.marker.evaluate(TARGET):
            continue
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            found.append(f"{requirement}: not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(f"{requirement}: the lock pins {version}")
    return found


def test_the_lock_satisfies_every_requirement_of_every_extra():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert disagreements(pyproject, (ROOT / LOCK).read_text()) == [], "run `make lock`"


def test_a_requirement_the_lock_does_not_satisfy_is_reported():
    pyproject = """
[project]
name = "eventmanager"
dependencies = ["fastapi>=0.115,<1", "httpx>=0.27"]
[project.optional-dependencies]
test = ["eventmanager[embedded]", "pytest>=99", "tomli>=2 ; python_version < '3.11'"]
"""
    lock = "fastapi==0.120.0\n    # via eventmanager\npytest==8.4.0 ; python_version >= '3.11'\n"
    assert disagreements(pyproject, lock) == [
        "httpx>=0.27: not in the lock",
        "pytest>=99: the lock pins 8.4.0",
    ]


def test_make_the_image_and_ci_install_with_the_lock():
    for stamp, extra in ((".embedded", "embedded"), (".test", "test"), (".dev", "dev")):
        planned = subprocess.run(
            ["make", "--dry-run", "--always-make", f".venv/{stamp}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"pip install --quiet -c {LOCK} -e '.[{extra}]'" in planned
    dockerfile = (ROOT / "Dockerfile").read_text()
    # The step right after the lock is copied installs with it.
    installs = dockerfile.split(f"COPY {LOCK} ./{LOCK}\nRUN ", 1)[1].split("\n\n", 1)[0]
    assert f"pip install --no-cache-dir -c {LOCK} " in installs.split("\nARG ", 1)[0]
    assert f"!{LOCK}" in (ROOT / ".dockerignore").read_text()
    # CI installs through `make lint` and `make test`; its pip cache is keyed on the lock too.
    assert LOCK in (ROOT / ".github/workflows/ci.yml").read_text()
