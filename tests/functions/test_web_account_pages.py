"""A person's account pages, the embeddable widget and the event page's gallery, against the
real gateway on a real port: what a browser sends, what the API then holds."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from shared import process_state
from shared.web import sessions
from tests.support import files
from tests.support.factories import PASSWORD, auth, create_event, join, new_user, token_for
from tests.support.mailbox import deliver_outbox_to_notify
from tests.support.web import csrf_of, sign_in, site  # noqa: F401 (the fixture)

SETTINGS = "/api/v1/me/notification-settings"


def test_notification_settings_are_saved_as_ticked(site, client):  # noqa: F811
    person = new_user("participant")
    sign_in(site, person.email)
    form = site.get("/account/settings")
    assert form.status_code == 200
    # Every channel and reminder the API offers, ticked as it holds them (all, by default).
    assert form.text.count(" checked>") == 4
    saved = site.post(
        "/account/settings",
        data={"csrf": csrf_of(form), "email": "on", "reminders": ["1h"]},
    )
    assert saved.status_code == 303
    held = client.get(SETTINGS, headers=auth(person)).json()
    assert held == {"email": True, "push": False, "reminders": ["1h"]}
    again = site.get(saved.headers["location"])
    assert "Your settings are saved." in again.text
    assert again.text.count(" checked>") == 2


def feed_link(page: httpx.Response) -> str:
    [link] = re.findall(r'id="feed-url" readonly value="([^"]+)"', page.text)
    return link


def test_the_calendar_feed_link_is_shown_and_can_be_replaced(site, client):  # noqa: F811
    person = new_user("participant")
    sign_in(site, person.email)
    page = site.get("/account/settings")
    first = feed_link(page)
    assert "/api/v1/calendar/feeds/" in first
    assert client.get(first.removeprefix("http://testserver")).status_code == 200
    rotated = site.post("/account/settings/feed", data={"csrf": csrf_of(page)})
    assert rotated.status_code == 303
    page = site.get("/account/settings")
    second = feed_link(page)
    assert second != first
    assert client.get(first.removeprefix("http://testserver")).status_code == 404
    assert re.search(
        r'src="/static/copy\.[0-9a-f]{12}\.js"', page.text
    )  # the copy button, for browsers that run it


def test_notifications_are_listed_and_marked_read(site, client):  # noqa: F811
    person = new_user("participant")
    event = create_event(client, auth(new_user("organizer")), title="Choir evening")
    join(client, event["id"], person)
    deliver_outbox_to_notify(client, ("org.eventmanager.",))
    sign_in(site, person.email)
    page = site.get("/account/notifications")
    assert page.status_code == 200
    assert "You are registered: Choir evening" in page.text
    [notification_id] = re.findall(r'action="/account/notifications/([0-9a-f-]+)/read"', page.text)
    read = site.post(
        f"/account/notifications/{notification_id}/read",
        data={"csrf": csrf_of(page), "back": "/account/notifications"},
    )
    assert read.status_code == 303
    [item] = client.get("/api/v1/me/notifications", headers=auth(person)).json()["items"]
    assert item["read_at"] is not None
    assert "/read" not in site.get("/account/notifications").text
    assert (
        site.post("/account/notifications/nope/read", data={"csrf": csrf_of(page)}).status_code
        == 404
    )


def test_profile_and_password_change(site, client):  # noqa: F811
    person = new_user("participant")
    sign_in(site, person.email)
    page = site.get("/account")
    assert person.email in page.text
    changed = site.post(
        "/account",
        data={
            "csrf": csrf_of(page),
            "full_name": "Ada Lovelace",
            "locale": "ru",
            "timezone": "Europe/Moscow",
        },
    )
    assert changed.status_code == 303
    profile = client.get("/api/v1/users/me", headers=auth(person)).json()
    assert (profile["full_name"], profile["locale"], profile["timezone"]) == (
        "Ada Lovelace",
        "ru",
        "Europe/Moscow",
    )
    russian = site.get("/account")  # the account's language now
    assert '<html lang="ru">' in russian.text
    bad_zone = site.post(
        "/account",
        data={"csrf": csrf_of(page), "full_name": "A", "locale": "en", "timezone": "Mars/Base"},
    )
    assert bad_zone.status_code == 422
    wrong = site.post(
        "/account/password",
        data={"csrf": csrf_of(page), "current_password": "nope", "new_password": "0123456789ab"},
    )
    assert wrong.status_code == 400
    assert "Пароль неверен." in wrong.text
    done = site.post(
        "/account/password",
        data={
            "csrf": csrf_of(page),
            "current_password": PASSWORD,
            "new_password": "a new password 2",
        },
    )
    assert done.status_code == 303
    assert "Пароль изменён." in site.get(done.headers["location"]).text  # still signed in here
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": person.email, "password": "a new password 2"}
        ).status_code
        == 200
    )


def test_my_data_is_downloaded_through_the_site(site, client):  # noqa: F811
    person = new_user("participant")
    sign_in(site, person.email)
    download = site.get("/account/export")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    assert download.headers["content-disposition"].startswith("attachment;")
    saved = json.loads(download.content)
    direct = client.get("/api/v1/users/me/export", headers=auth(person)).json()
    assert saved.keys() == direct.keys()
    assert saved["profile"] == direct["profile"]
    assert person.email in download.text
    site.cookies.clear()
    assert site.get("/account/export").headers["location"].startswith("/signin")


def test_deleting_the_account_asks_first_and_ends_the_session(site, client):  # noqa: F811
    person = new_user("participant")
    sign_in(site, person.email)
    session_id = site.cookies[sessions.COOKIE]
    form = site.get("/account/delete")
    assert form.status_code == 200
    unconfirmed = site.post("/account/delete", data={"csrf": csrf_of(form), "password": PASSWORD})
    assert unconfirmed.status_code == 422
    wrong = site.post(
        "/account/delete", data={"csrf": csrf_of(form), "password": "nope", "confirm": "yes"}
    )
    assert wrong.status_code == 400
    assert client.get("/api/v1/users/me", headers=auth(person)).status_code == 200  # still there
    deleted = site.post(
        "/account/delete", data={"csrf": csrf_of(form), "password": PASSWORD, "confirm": "yes"}
    )
    assert deleted.status_code == 200
    assert "Your account is deleted" in deleted.text
    assert sessions.load(session_id) is None
    assert 'em_session=""' in deleted.headers["set-cookie"]
    assert "Sign in" in deleted.text
    assert "Sign out" not in deleted.text
    refused = client.post("/api/v1/auth/login", json={"email": person.email, "password": PASSWORD})
    assert refused.status_code == 401


def test_account_pages_send_strangers_to_sign_in(site):  # noqa: F811
    for path in ("/account", "/account/notifications", "/account/settings", "/account/delete"):
        answer = site.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/signin?next=%2Faccount")


def test_the_widget_may_be_framed_anywhere_and_nothing_else_may(site, client):  # noqa: F811
    organizer = new_user("organizer")
    headers = auth(organizer)
    create_event(client, headers, title="Spring concert")
    create_event(client, headers, title="Secret draft", status="draft")
    create_event(client, auth(new_user("organizer")), title="Someone else's")
    widget = site.get(f"/widget/organizers/{organizer.id}")
    assert widget.status_code == 200
    assert "frame-ancestors *" in widget.headers["content-security-policy"]
    assert "x-frame-options" not in widget.headers
    assert "Spring concert" in widget.text
    assert "Secret draft" not in widget.text
    assert "Someone else" not in widget.text
    assert re.search(
        r'<a class="button" href="/events/[0-9a-f-]+" target="_blank" rel="noopener">', widget.text
    )
    assert "<form" not in widget.text  # nothing a framing site could make someone submit
    for path in ("/", "/signin", "/widget/organizers/nope", "/account/widget"):
        other = site.get(path)
        assert other.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in other.headers["content-security-policy"], path

    sign_in(site, organizer.email)
    snippet = site.get("/account/widget")
    assert snippet.status_code == 200
    assert (
        f"&lt;iframe src=&#34;http://testserver/widget/organizers/{organizer.id}?lang=en&#34;"
        in snippet.text
    )
    site.post("/signout", data={"csrf": csrf_of(snippet)})
    sign_in(site, new_user("participant").email)
    assert site.get("/account/widget").status_code == 403


@pytest.fixture
def media_dir(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    process_state.reset()
    return tmp_path / "media"


def test_the_event_page_shows_its_pictures_and_the_readers_time(
    site,  # noqa: F811
    client,
    media_dir,
    live_url,
):
    organizer = new_user("organizer")
    event = create_event(client, auth(organizer))
    uploaded = client.post(
        f"/api/v1/events/{event['id']}/media",
        headers={"Authorization": f"Bearer {token_for(organizer)}"},
        files={"file": ("Poster.png", files.png(64, 48), "image/png")},
    )
    assert uploaded.status_code == 201, uploaded.text
    page = site.get(f"/events/{event['id']}")
    assert page.status_code == 200
    [source] = re.findall(r'<img src="([^"]+)" alt="Poster.png"', page.text)
    picture = httpx.get(source.replace("&amp;", "&").replace("http://testserver", live_url))
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    # The policy lets exactly the storage's origin serve pictures.
    assert "img-src 'self' data: http://testserver;" in page.headers["content-security-policy"]
    assert 'data-event-zone="Europe/Berlin"' in page.text
    assert re.search(r'src="/static/localtime\.[0-9a-f]{12}\.js"', page.text)
