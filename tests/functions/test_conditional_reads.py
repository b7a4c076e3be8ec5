"""ETags on the event page and the public lists: a client (a mobile app) revalidates what it
holds and gets 304 with no body while it is current; anonymous cached reads answered by the
kit's shortcut behave as the route does, and are logged and counted like any request."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client import REGISTRY

from shared.cache import get_redis
from shared.kit.conditional import entity_tag
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event

LISTS = ("/api/v1/events", "/api/v1/events?category=meetup", "/api/v1/events?q=python")


def revalidated(client, path: str, etag: str, headers: dict[str, str] | None = None):
    return client.get(path, headers={"If-None-Match": etag, **(headers or {})})


def test_an_event_page_has_an_etag_and_a_current_copy_is_answered_304(client):
    event = create_event(client, bearer(client, "organizer"))
    path = f"/api/v1/events/{event['id']}"
    for _ in range(2):  # loaded from PostgreSQL, then from the cache: the same tag
        first = client.get(path)
        assert first.status_code == 200
        etag = first.headers["etag"]
        assert etag == entity_tag(first.content)
        assert first.headers["cache-control"] == "no-cache"
        assert "Authorization" in first.headers["vary"].split(", ")

    current = revalidated(client, path, etag)
    assert current.status_code == 304
    assert current.content == b""
    assert current.headers["etag"] == etag
    assert {"x-request-id", "traceparent"} <= current.headers.keys()
    assert revalidated(client, path, f'"other", W/{etag}').status_code == 304  # weak compare
    assert revalidated(client, path, "*").status_code == 304
    stale = revalidated(client, path, '"0123456789abcdef0123456789abcdef"')
    assert stale.status_code == 200
    assert stale.json()["id"] == event["id"]
    head = client.head(path, headers={"If-None-Match": etag})
    assert head.status_code == 304


def test_a_changed_event_gets_a_new_tag_at_once(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=5)
    path = f"/api/v1/events/{event['id']}"
    before = client.get(path).headers["etag"]
    client.patch(path, headers=owner, json={"title": "Renamed"})
    renamed = revalidated(client, path, before)
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Renamed"
    assert renamed.headers["etag"] != before

    client.post(f"{path}/registrations", headers=bearer(client))
    seat_taken = revalidated(client, path, renamed.headers["etag"])
    assert seat_taken.status_code == 200  # a seat taken is a change of the page too
    assert seat_taken.json()["seats_taken"] == 1


@pytest.mark.parametrize("path", LISTS)
def test_public_lists_have_etags_cached_or_not(client, path):
    owner = bearer(client, "organizer")
    create_event(client, owner, category="meetup")
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["etag"] == entity_tag(first.content)
    assert first.headers["cache-control"] == "no-cache"
    assert revalidated(client, path, first.headers["etag"]).status_code == 304

    create_event(client, owner, category="meetup", title="Python sprint")
    changed = revalidated(client, path, first.headers["etag"])
    assert changed.status_code == 200
    assert len(changed.json()["items"]) == 2
    assert changed.headers["etag"] != first.headers["etag"]


def test_categories_have_etags(client):
    first = client.get("/api/v1/categories")
    assert revalidated(client, "/api/v1/categories", first.headers["etag"]).status_code == 304


def test_a_signed_in_answer_is_private_and_a_draft_revalidates_for_its_organizer_only(client):
    owner = bearer(client, "organizer")
    draft = create_event(client, owner, status="draft")
    path = f"/api/v1/events/{draft['id']}"
    mine = client.get(path, headers=owner)
    assert mine.status_code == 200
    assert mine.headers["cache-control"] == "private, no-cache"
    assert "Authorization" in mine.headers["vary"].split(", ")
    assert revalidated(client, path, mine.headers["etag"], owner).status_code == 304
    # The organizer's tag tells a stranger nothing: a draft is not found, tag or not.
    assert_problem(revalidated(client, path, mine.headers["etag"]), 404)

    published = create_event(client, owner)
    signed_in = client.get(f"/api/v1/events/{published['id']}", headers=bearer(client))
    assert signed_in.headers["cache-control"] == "private, no-cache"


def test_the_shortcut_answers_as_the_route_does(client):
    """A canonical id is answered by the shortcut, an upper-case one by the route: the same
    body, tag and headers. What only the route may answer still gets the route's answer."""
    event = create_event(client, bearer(client, "organizer"))
    by_shortcut = client.get(f"/api/v1/events/{event['id']}")
    by_route = client.get(f"/api/v1/events/{event['id'].upper()}")
    assert by_route.status_code == by_shortcut.status_code == 200
    assert by_route.content == by_shortcut.content
    ids = {"x-request-id", "traceparent", "date"}
    assert {k: v for k, v in by_route.headers.items() if k not in ids} == {
        k: v for k, v in by_shortcut.headers.items() if k not in ids
    }

    assert_problem(client.get("/api/v1/events/not-an-id"), 422)
    assert_problem(client.get("/api/v1/events/00000000-0000-4000-8000-000000000000"), 404)
    invalid_token = {"Authorization": "Bearer not-a-token"}
    assert_problem(client.get(f"/api/v1/events/{event['id']}", headers=invalid_token), 401)
    assert_problem(client.get("/api/v1/events?limit=0"), 422)
    assert client.get("/api/v1/events?limit=5").json()["items"][0]["id"] == event["id"]


def test_a_shortcut_answer_is_logged_and_counted_with_its_route_template(client, caplog):
    event = create_event(client, bearer(client, "organizer"))
    path = f"/api/v1/events/{event['id']}"
    etag = client.get(path).headers["etag"]
    labels = {
        "function": "browse_events",
        "method": "GET",
        "route": "/api/v1/events/{event_id}",
    }

    def counted(status: str) -> float:
        found = REGISTRY.get_sample_value(
            "eventmgr_http_requests_total", {**labels, "status": status}
        )
        return found or 0.0

    before = counted("200"), counted("304")
    with caplog.at_level(logging.INFO, logger="eventmgr.access"):
        assert client.get(path).status_code == 200
        assert revalidated(client, path, etag).status_code == 304
    assert (counted("200"), counted("304")) == (before[0] + 1, before[1] + 1)
    lines = [r for r in caplog.records if r.name == "eventmgr.access"]
    assert [(r.getMessage()) for r in lines] == [
        "GET /api/v1/events/{event_id} 200",
        "GET /api/v1/events/{event_id} 304",
    ]


def test_an_entry_filed_before_tags_is_still_answered_with_one(client):
    """Entries cached by the previous release (the body alone) live one TTL after an upgrade."""
    event = create_event(client, bearer(client, "organizer"))
    path = f"/api/v1/events/{event['id']}"
    assert client.get(path).status_code == 200
    redis_client = get_redis()
    assert redis_client is not None
    (entry,) = redis_client.keys(f"cache:event:{event['id']}:*")
    body = json.dumps({"id": event["id"], "title": "As filed before"}).encode()
    redis_client.set(entry, body, ex=60)
    answer = client.get(path)
    assert answer.content == body
    assert answer.headers["etag"] == entity_tag(body)
