"""The one internal-token check both edges use (the kit's internal endpoints, the local
gateway's /function/<name>/ paths): a near miss or an unset token never passes."""

from __future__ import annotations

import pytest

from shared import process_state
from shared.kit.internal_token import bears_internal_token, internal_authorization


@pytest.mark.parametrize(
    ("authorization", "passes"),
    [
        ("Bearer internal-test-token", True),
        ("bearer internal-test-token", True),
        ("Basic internal-test-token", False),
        ("Bearer internal-test-token ", False),
        ("Bearer internal-test-toke", False),
        ("internal-test-token", False),
        ("", False),
    ],
)
def test_only_the_configured_token_passes(authorization: str, passes: bool):
    assert bears_internal_token(authorization) is passes


def test_no_token_configured_lets_nobody_in(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INTERNAL_TOKEN", "")
    process_state.reset()
    try:
        assert not bears_internal_token("Bearer ")
        assert internal_authorization() == {}
    finally:
        monkeypatch.undo()
        process_state.reset()
    assert internal_authorization() == {"authorization": "Bearer internal-test-token"}
