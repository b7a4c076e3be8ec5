"""Process-wide state is registered where it is built, so one `reset()` forgets all of it: a
cache nobody registered would carry one test's settings (keys, clients, URLs) into the next."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from types import ModuleType

import pytest
from sqlalchemy.pool import QueuePool

from shared import process_state
from shared.config import get_settings

PACKAGES = ("shared", "eventing", "functions", "local")
# Alembic's environment runs a migration when imported, `__main__` the CLI; neither holds state.
NOT_IMPORTED = ("shared.migrations.env", "shared.migrations.versions")


def every_module() -> list[ModuleType]:
    modules = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        modules.append(root)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if not info.name.startswith(NOT_IMPORTED) and not info.name.endswith("__main__"):
                modules.append(importlib.import_module(info.name))
    return modules


def test_every_module_level_cache_is_in_the_registry():
    caches = {
        f"{module.__name__}.{name}": value
        for module in every_module()
        for name, value in vars(module).items()
        if isinstance(value, functools._lru_cache_wrapper)
        and getattr(value, "__module__", None) == module.__name__
    }
    assert len(caches) >= 20, sorted(caches)  # the settings, keys, clients, engine...
    registered = process_state.registered()
    unregistered = [name for name, cache in caches.items() if cache not in registered]
    assert unregistered == [], "cache with shared.process_state.cached instead"


def test_reset_forgets_what_was_built_from_the_old_settings(
    db_url: str, monkeypatch: pytest.MonkeyPatch
):
    from shared import ratelimit
    from shared.db import ping
    from shared.db.engine import get_engine

    assert ping()  # a pooled connection to the test database
    engine = get_engine()
    # Without Redis the rate limits count in the process.
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.setenv("PUBLIC_URL", "https://elsewhere.example.org")
    assert get_settings().public_url == "http://testserver"  # built once, kept
    process_state.reset()
    assert get_settings().public_url == "https://elsewhere.example.org"
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.checkedin() == 0  # the old engine's connections closed...
    assert get_engine() is not engine  # ...and a new engine for the new settings
    assert ratelimit.add("process-state-test", 60).value == 1
    process_state.reset()
    assert ratelimit.add("process-state-test", 60, amount=0).value == 0
