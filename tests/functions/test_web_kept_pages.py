"""The public event page kept rendered for visitors without a session (kept_pages.py):
answered from the kept bytes while the API's event is unchanged, rendered again at once when
it changes, and never kept for a signed-in reader."""

from __future__ import annotations

import httpx

from functions.web.kept_pages import kept_pages
from tests.support.factories import auth, create_event, join, new_user
from tests.support.web import sign_in, site  # noqa: F401 (the `site` fixture)


def test_a_visitors_page_is_kept_while_the_event_is_unchanged(site, client, live_url):  # noqa: F811
    owner = new_user("organizer")
    event = create_event(client, auth(owner), title="Kept evening", capacity=3)
    path = f"/events/{event['id']}"
    with httpx.Client(base_url=live_url, timeout=30) as visitor:  # no cookies, ever
        first = visitor.get(path)
        assert first.status_code == 200
        assert "Kept evening" in first.text
        assert kept_pages().get((event["id"], "en")) is not None
        again = visitor.get(path)
        assert again.content == first.content
        assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
        assert "set-cookie" not in again.headers

        # A seat taken changes the API's event, so the page shows it at the next read.
        join(client, event["id"], new_user())
        renamed = client.patch(
            f"/api/v1/events/{event['id']}", headers=auth(owner), json={"title": "Renamed evening"}
        )
        assert renamed.status_code == 200, renamed.text
        changed = visitor.get(path)
        assert "Renamed evening" in changed.text
        assert changed.content != first.content

        russian = visitor.get(path, headers={"Accept-Language": "ru"})
        assert russian.content != changed.content  # kept per language
        assert kept_pages().get((event["id"], "ru")) is not None

    # A signed-in reader's page is their own: rendered for them, never kept.
    reader = new_user()
    sign_in(site, reader.email)
    mine = site.get(path)
    assert mine.status_code == 200
    assert "Renamed evening" in mine.text
    kept = kept_pages().get((event["id"], "en"))
    assert kept is not None
    assert kept.body != mine.content
