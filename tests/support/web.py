"""The web front end as a browser uses it, for the tests of its pages: a client on the live
gateway (the `site` fixture), the CSRF token of a page's form, and signing in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from shared import process_state
from tests.support.factories import PASSWORD

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
