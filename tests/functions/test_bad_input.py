"""Whatever a client sends to any public route, the answer is never a 500.

Every route the gateway knows is tried with malformed ids, bodies of the wrong shape, wrong
types for each field, oversized and deeply nested JSON, and bad tokens. Any 4xx must be
problem+json; nothing may crash.
"""

from __future__ import annotations

import itertools
import re

import pytest

from local.deploy.gateway import path_regex
from shared import process_state
from tests.support.factories import bearer, create_event, event_body

ODD_IDS = ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00", "1" * 300, "'; --"]
ODD_VALUES = [None, 0, -1, 10**30, 1.5, True, "", "x" * 5000, [], {}, ["a"], {"a": 1}, "\u0000"]
ODD_BODIES = [b"", b"{", b"null", b"[]", b"0", b'"x"', b"[" * 5000, b"{}", b"\xff\xfe\x00"]
# The one-click unsubscribe link opens a page in a browser (its POST is the API).
HTML_PAGES_UNDER_API = ("/api/v1/unsubscribe/",)
ODD_TOKENS = ["Bearer ", "Bearer x.y.z", "Basic dXNlcjpwYXNz", "Bearer " + "a" * 5000]


def public_routes(gateway) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for deployed in gateway.deployed.values()
        for route in deployed.function.public_routes()
        for method in [route.method]
    )


def fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


# The pages' own JSON calls (the door's, the discussion's new messages) answer problem+json:
# their scripts read them.
PAGE_JSON_CALLS = re.compile(
    r"/door/(snapshot|scan|sync)$|/discussion/messages$|^/account/settings/push(/off)?$"
)


def web_page(gateway, path: str) -> bool:
    """A page of the web front end: a path no other function has (its catch-all serves it),
    or one of its own."""
    owners = {
        name
        for name, deployed in gateway.deployed.items()
        for route in deployed.function.public_routes()
        if re.fullmatch(path_regex(route.path), path)
    }
    return owners == {"web"}


def check(response, gateway) -> None:
    assert response.status_code < 500, (
        response.request.method,
        response.request.url,
        response.text,
    )
    if response.status_code >= 400:
        # Pages for people (mail links, the web front end) answer in HTML; the API in
        # problem+json.
        path = response.request.url.path
        page = not path.startswith("/api/") or (
            response.request.method == "GET" and path.startswith(HTML_PAGES_UNDER_API)
        )
        html = page and (response.status_code in (400, 404) or web_page(gateway, path))
        html = html and not PAGE_JSON_CALLS.search(path)
        expected: tuple[str, ...] = ("text/html",) if html else ("application/problem",)
        if html and response.status_code in (413, 422):
            # The kit refuses a NUL character or an oversized body before any page runs (a
            # problem, wherever it is sent); a page's own 422 (a filter the API refused) is
            # a page.
            expected = ("text/html", "application/problem")
        assert response.headers.get("content-type", "").startswith(expected), (
            response.request.method,
            path,
            response.status_code,
            response.text,
        )


def field_variants(body: dict) -> list[dict]:
    variants = [{k: v for k, v in body.items() if k != field} for field in body]
    for field, value in itertools.product(body, ODD_VALUES):
        variants.append({**body, field: value})
    return variants


@pytest.fixture
def web_api(live_url, monkeypatch):
    """The web front end's pages call the API through the gateway on a real port."""
    monkeypatch.setenv("WEB_API_URL", live_url)
    process_state.reset()


@pytest.fixture
def short_streams(monkeypatch):
    """A discussion's stream, opened by an admin here, ends by itself soon: the test client
    reads an answer to its end."""
    monkeypatch.setenv("DISCUSSION_STREAM_SECONDS", "0.5")
    process_state.reset()


@pytest.mark.parametrize("as_role", [None, "participant", "organizer", "admin"])
def test_no_input_reaches_a_500(client, gateway, web_api, short_streams, as_role):
    organizer = bearer(client, "organizer")
    event = create_event(client, organizer, capacity=2)
    headers = bearer(client, as_role) if as_role else {}
    good_bodies = {
        "/api/v1/auth/register": {
            "email": "a@example.org",
            "password": "0123456789",
            "full_name": "A",
        },
        "/api/v1/auth/login": {"email": "a@example.org", "password": "0123456789"},
        "/api/v1/auth/refresh": {"refresh_token": "x"},
        "/api/v1/events": event_body(),
    }
    for method, path in public_routes(gateway):
        for target in [fill(path, event["id"]), *(fill(path, odd) for odd in ODD_IDS)]:
            check(client.request(method, target, headers=headers), gateway)
            for token in ODD_TOKENS:
                check(client.request(method, target, headers={"Authorization": token}), gateway)
            if method in ("POST", "PUT", "PATCH"):
                for raw in ODD_BODIES:
                    check(
                        client.request(
                            method,
                            target,
                            content=raw,
                            headers={**headers, "content-type": "application/json"},
                        ),
                        gateway,
                    )
        if method in ("POST", "PUT", "PATCH") and path in good_bodies:
            for body in field_variants(good_bodies[path]):
                check(client.request(method, path, json=body, headers=headers), gateway)
        if method == "GET" and "{" not in path:
            for name, value in itertools.product(
                ["q", "category", "tag", "from", "to", "organizer_id", "cursor", "limit"],
                ["", "x" * 600, "%00", "-1", "2031-13-45", "[]"],
            ):
                check(client.get(path, params={name: value}, headers=headers), gateway)
