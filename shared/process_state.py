"""Process-wide state built from the settings (clients, engines, keys), registered in one place.

A deployed process builds each of these once and keeps it for its life. Whoever changes the
settings in-process (the tests, the local runner) calls `reset()` once, and everything built from
the old settings is built again on next use: a getter cannot be forgotten, because caching and
registering are one decorator. `functools.cache` and `lru_cache` are banned elsewhere (ruff
TID251) for that reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_getters: list[Callable[..., object]] = []
# Releases run first: they may close what the getters built, before it is forgotten.
_releases: list[Callable[[], None]] = []
_forgets: list[Callable[[], None]] = []


def cached(build: Callable[..., T]) -> functools._lru_cache_wrapper[T]:
    """Build on first call (per arguments), keep for the process, build again after `reset()`."""
    getter = functools.cache(build)
    _getters.append(getter)
    _forgets.append(getter.cache_clear)
    return getter


def on_reset(release: Callable[[], None]) -> Callable[[], None]:
    """Also run `release` on `reset()`: for state that is not a getter's value (a module's
    counters, a remembered failure), or to close what a getter built before it is forgotten."""
    _releases.append(release)
    return release


def before_reset(finish: Callable[[], None]) -> Callable[[], None]:
    """Run `finish` on `reset()` before every release: for work still in flight in another
    thread (publishing committed rows), which must end while what it uses still stands."""
    _releases.insert(0, finish)
    return finish


def reset() -> None:
    """Forget every process-wide value, after the settings changed."""
    for release in _releases:
        release()
    for forget in _forgets:
        forget()


def registered() -> list[Callable[..., object]]:
    """Every getter and release function, for the test that no cache escapes the registry."""
    return [*_getters, *_releases]
