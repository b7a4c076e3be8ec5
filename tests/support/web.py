"""The web front end as a browser uses it, for the tests of its pages: a client on the live
gateway (the `site` fixture), the CSRF token of a page's form, signing in, and the event
form as an organizer fills it in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared import process_state
from tests.support.factories import PASSWORD, new_user

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def site(live_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    monkeypatch.setenv("WEB_API_URL", live_url)
    process_state.reset()
    with httpx.Client(base_url=live_url, timeout=30) as browser:
        yield browser


def csrf_of(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


def sign_in(site: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    form = site.get("/signin")
    return site.post(
        "/signin",
        data={"csrf": csrf_of(form), "email": email, "password": password, "next": "/"},
    )


def organizer_site(browser: httpx.Client) -> tuple[httpx.Client, Any]:
    """The browser signed in as a new organizer, and that organizer."""
    organizer = new_user("organizer")
    assert sign_in(browser, organizer.email).status_code == 303
    return browser, organizer


def form_data(csrf: str, **overrides: Any) -> dict[str, Any]:
    """The event form as an organizer fills it in (with two registration questions)."""
    data: dict[str, Any] = {
        "csrf": csrf,
        "title": "Rust workshop",
        "description": "Hands-on.",
        "category": "workshop",
        "tags": "rust, systems",
        "starts_at": "2031-06-01T10:00",
        "ends_at": "2031-06-01T16:00",
        "timezone": "Europe/Berlin",
        "venue_name": "Lab",
        "venue_address": "Str. 1, Berlin",
        "venue_lat": "52.5",
        "venue_lon": "13.4",
        "online_url": "",
        "capacity": "30",
        "waitlist_mode": "offer",
        "offer_hours": "12",
        "auto_before_start_hours": "6",
        # Two filled question rows, then the empty spare rows the form shows.
        "q_id": ["diet", "allergy", ""],
        "q_label": ["Diet", "Allergies", ""],
        "q_kind": ["choice", "text", "text"],
        "q_options": ["vegan\nany", "", ""],
        "q_show_if": ["", "diet", ""],
        "q_equals": ["", "vegan", ""],
        "q_required": ["0"],
    }
    data.update(overrides)
    return data


def admin_site(site: httpx.Client) -> Any:
    """Signs the site's browser in as a new admin."""
    admin = new_user("admin")
    assert sign_in(site, admin.email).status_code == 303
    return admin
