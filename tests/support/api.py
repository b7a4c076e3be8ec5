"""Talking to the platform as its callers do: the internal token, and the problem+json shape."""

from __future__ import annotations

from shared.kit import PROBLEM_JSON

INTERNAL = {"Authorization": "Bearer internal-test-token"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body
