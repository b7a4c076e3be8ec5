"""`eventmgr up --processes` on a slow start: which functions failed and why, not a bare list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.processes import Processes, StartFailed


@pytest.fixture
def children(db_url: str) -> Iterator[Processes]:
    started = Processes()
    yield started
    started.stop()


def test_a_function_that_dies_is_named_with_its_last_lines(children: Processes):
    # Started together; one cannot import its handler, the other comes up.
    ports = children.start_functions({"no_such_function": None, "login": None})  # type: ignore[dict-item]
    with pytest.raises(StartFailed) as failed:
        children.wait_ready(ports, timeout=120)
    assert set(failed.value.reasons) == {"no_such_function"}
    assert failed.value.reasons["no_such_function"] == "exited with status 1"
    report = str(failed.value)
    assert "No module named 'functions.no_such_function'" in report
    assert "login" not in report


def test_the_limit_is_the_callers_and_the_slow_ones_are_named(children: Processes):
    ports = children.start_functions({"login": None, "browse_events": None})  # type: ignore[dict-item]
    with pytest.raises(StartFailed) as failed:
        children.wait_ready(ports, timeout=0.01)
    assert failed.value.reasons == {
        "browse_events": "not ready after 0.01 s (raise --start-timeout)",
        "login": "not ready after 0.01 s (raise --start-timeout)",
    }
    # Given time, the same processes become ready.
    children.wait_ready(ports, timeout=120)
