"""Nobody reaches what is not theirs: every declared route, called by every kind of caller, answers
the status the matrix (tests/reliability/authorization.py) says; a route without a row fails."""

from __future__ import annotations

import httpx
import pytest

from local.registry import load_functions
from shared import process_state
from tests.reliability.authorization import MATRIX
from tests.reliability.world import ROLES, World


def declared_routes() -> set[tuple[str, str]]:
    return {
        (route.method, route.path)
        for deployed in load_functions().values()
        for route in deployed.function.public_routes()
    }


def test_every_declared_route_has_a_row():
    declared = declared_routes()
    missing = sorted(declared - MATRIX.keys())
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    stale = sorted(MATRIX.keys() - declared)
    assert not stale, f"rows for routes no function declares: {stale}"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=" ".join)
def test_who_may_call(client, live_url, tmp_path, monkeypatch, route):
    # Uploaded files go to this test's own directory; the web front end's pages call the API
    # through the gateway on a real port.
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WEB_API_URL", live_url)
    process_state.reset()
    row = MATRIX[route]
    world = World.make(client)
    answers: dict[str, int] = {}
    for role in ROLES:
        call = row.request(world)
        headers = {**world.headers[role], **call.headers}
        if call.stream:
            # Only the status and an error's body are read; the stream is closed.
            with httpx.stream(call.method, live_url + call.url, headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
        else:
            response = client.request(
                call.method,
                call.url,
                json=call.json,
                content=call.content,
                files=call.files,
                data=call.data,
                headers=headers,
            )
        answers[role] = response.status_code
        # An error is a problem document, except where a page for people says it in HTML.
        content_type = response.headers.get("content-type", "")
        if response.status_code >= 400 and not content_type.startswith("text/html"):
            assert content_type.startswith("application/problem+json"), (role, response.text)
    expected = {role: row.expected(role) for role in ROLES}
    assert answers == expected
