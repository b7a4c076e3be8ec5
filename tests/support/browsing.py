"""What the browser tests share: an API client signed in as someone, a published event made
through the API, and signing in through the page itself."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.runner import PASSWORD, Runner


def api_as(stack: Runner, email: str) -> httpx.Client:
    api = httpx.Client(base_url=stack.url, timeout=30)
    tokens = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    api.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    return api


def event(api: httpx.Client, title: str) -> dict[str, Any]:
    created = api.post(
        "/api/v1/events",
        json={
            "title": title,
            "description": "Everyone welcome.",
            "starts_at": "2031-10-03T17:00:00+00:00",
            "ends_at": "2031-10-03T20:00:00+00:00",
            "timezone": "Europe/Berlin",
            "category": "concert",
            "venue": {"name": "Old Mill", "address": "Mühlenweg 2, Potsdam"},
            "capacity": 80,
            "status": "published",
        },
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def sign_in(page: Any, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
