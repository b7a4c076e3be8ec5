"""The public event page kept rendered for visitors without a session (kept_pages.py):
answered from the kept bytes for WEB_KEPT_PAGE_SECONDS without asking the API, then asked
about by one request at a time, rendered again when the event changed, 304 to a browser whose
copy is current, and never kept for (nor answered to) a signed-in reader."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from prometheus_client import REGISTRY
from starlette.responses import HTMLResponse

from functions.web.kept_pages import KeptPages, kept_pages
from shared import process_state
from tests.support.factories import auth, create_event, join, new_user
from tests.support.web import sign_in, site  # noqa: F401 (the `site` fixture)


def _aged(event_id: str, language: str = "en") -> None:
    """As if the window had passed since the API was last asked about this page."""
    kept = kept_pages().get((event_id, language))
    assert kept is not None
    kept.checked_at -= 3600


def test_a_visitors_page_is_answered_kept_within_the_window_then_asked_about(
    site,  # noqa: F811
    client,
    live_url,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    monkeypatch.setenv("WEB_KEPT_PAGE_SECONDS", "60")
    process_state.reset()
    owner = new_user("organizer")
    event = create_event(client, auth(owner), title="Kept evening", capacity=3)
    path = f"/events/{event['id']}"
    with httpx.Client(base_url=live_url, timeout=30) as visitor:  # no cookies, ever
        with caplog.at_level(logging.INFO):
            first = visitor.get(path)  # rendered: the web function calls the API
        assert first.status_code == 200
        assert "Kept evening" in first.text
        # The API's access lines say so; httpx's own line per call is not written again.
        assert "GET /api/v1/events/{event_id} 200" in caplog.messages
        assert not [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]
        assert first.headers["etag"]
        again = visitor.get(path)
        assert again.content == first.content
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
        assert again.headers["cache-control"] == "private, max-age=0"
        assert "set-cookie" not in again.headers

        # Within the window the kept copy is answered though the event changed.
        join(client, event["id"], new_user())
        renamed = client.patch(
            f"/api/v1/events/{event['id']}", headers=auth(owner), json={"title": "Renamed evening"}
        )
        assert renamed.status_code == 200, renamed.text
        assert visitor.get(path).content == first.content

        # After it, the API is asked, says the event changed, and the page is rendered again.
        _aged(event["id"])
        changed = visitor.get(path)
        assert "Renamed evening" in changed.text
        assert changed.headers["etag"] != first.headers["etag"]

        russian = visitor.get(path, headers={"Accept-Language": "ru"})
        assert russian.content != changed.content  # kept per language
        assert kept_pages().get((event["id"], "ru")) is not None
        assert visitor.get(path).content == changed.content

    # A signed-in reader's page is their own: rendered for them, never kept, never 304.
    reader = new_user()
    sign_in(site, reader.email)
    mine = site.get(path, headers={"If-None-Match": changed.headers["etag"]})
    assert mine.status_code == 200
    assert "Renamed evening" in mine.text
    assert "etag" not in mine.headers
    kept = kept_pages().get((event["id"], "en"))
    assert kept is not None
    assert kept.tagged.body != mine.content


def test_an_unchanged_event_keeps_the_page_and_a_current_copy_is_answered_304(
    site,  # noqa: F811
    client,
    live_url,
    caplog: pytest.LogCaptureFixture,
):
    event = create_event(client, auth(new_user("organizer")), title="Quiet evening")
    path = f"/events/{event['id']}"
    labels = {"function": "web", "method": "GET", "route": "/events/{event_id}"}

    def counted(status: str) -> float:
        found = REGISTRY.get_sample_value(
            "eventmgr_http_requests_total", {**labels, "status": status}
        )
        return found or 0.0

    with httpx.Client(base_url=live_url, timeout=30) as visitor:
        first = visitor.get(path)
        kept = kept_pages().get((event["id"], "en"))
        assert kept is not None
        _aged(event["id"])
        again = visitor.get(path)  # the API says unchanged: the same kept copy, checked now
        assert again.content == first.content
        assert kept_pages().get((event["id"], "en")) is kept
        assert time.monotonic() - kept.checked_at < 30

        before = counted("200"), counted("304")
        with caplog.at_level(logging.INFO, logger="eventmgr.access"):
            current = visitor.get(path, headers={"If-None-Match": first.headers["etag"]})
            other = visitor.get(path, headers={"If-None-Match": '"something-else"'})
        assert current.status_code == 304
        assert current.content == b""
        assert current.headers["etag"] == first.headers["etag"]
        assert other.status_code == 200
        assert other.content == first.content
        # Counted and logged like any request, with the route's template.
        assert (counted("200"), counted("304")) == (before[0] + 1, before[1] + 1)
        lines = [r.getMessage() for r in caplog.records if r.name == "eventmgr.access"]
        assert lines.count("GET /events/{event_id} 304") == 1
        assert lines.count("GET /events/{event_id} 200") == 1

        # The plain address only: a query is the route's to answer, rendered for it.
        switched = visitor.get(f"{path}?lang=ru", headers={"If-None-Match": first.headers["etag"]})
        assert switched.status_code == 200
        assert "etag" not in switched.headers


def test_one_request_asks_the_api_while_the_others_are_answered_the_kept_copy():
    pages = KeptPages()
    key = ("0b6f4c5e-6a43-4a77-9c3c-1d0e6c2f4b11", "en")
    kept = pages.keep(key, '"api-tag"', HTMLResponse("<p>kept</p>"))
    kept.checked_at -= 3600
    asked: list[str] = []

    async def scenario(answer: bool) -> list[object]:
        release = asyncio.Event()

        async def unchanged(etag: str) -> bool:
            asked.append(etag)
            await release.wait()
            return answer

        asking = asyncio.ensure_future(pages.current(key, unchanged))
        await asyncio.sleep(0)  # it has asked, and waits for the API
        others = [await pages.current(key, unchanged) for _ in range(5)]
        release.set()
        return [await asking, *others]

    answered = asyncio.run(scenario(True))
    assert asked == ['"api-tag"']
    assert answered == [kept] * 6
    # Checked now: within the window nobody asks.
    assert asyncio.run(pages.current(key, _never)) is kept

    kept.checked_at -= 3600
    answered = asyncio.run(scenario(False))
    assert answered[0] is None  # changed: the asker renders it again
    assert answered[1:] == [kept] * 5  # the others were answered meanwhile
    assert pages.get(key) is None


async def _never(_: str) -> bool:
    raise AssertionError("asked within the window")


def test_an_error_page_is_not_kept():
    pages = KeptPages()
    key = ("0b6f4c5e-6a43-4a77-9c3c-1d0e6c2f4b11", "en")
    pages.keep(key, None, HTMLResponse("<p>gone</p>", status_code=404))
    assert pages.get(key) is None
