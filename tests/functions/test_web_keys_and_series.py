"""API keys and series in the web pages, against the real gateway on a real port: a person
makes a key (shown once), uses it against the API and revokes it; an organizer makes a
weekly series from the new-event form, sees its dates and changes the coming ones."""

from __future__ import annotations

import re

import httpx

from functions.web.words import WORDS
from shared.kit.scopes import SCOPES
from tests.support.factories import auth, event_body, new_user
from tests.support.web import csrf_of, form_data, organizer_site, sign_in, site  # noqa: F401 (fixture)

KEY = re.compile(r'id="new-key" readonly value="([^"]+)"')
NO_QUESTIONS = {
    "q_id": [""],
    "q_label": [""],
    "q_kind": ["text"],
    "q_options": [""],
    "q_show_if": [""],
    "q_equals": [""],
    "q_required": [],
}


def signed_in(browser: httpx.Client) -> httpx.Client:
    person = new_user("participant")
    assert sign_in(browser, person.email).status_code == 303
    return browser


def test_a_key_is_made_shown_once_listed_without_it_used_and_revoked(site, client):  # noqa: F811
    site = signed_in(site)
    account = site.get("/account")
    assert 'href="/account/api-keys"' in account.text
    keys = site.get("/account/api-keys")
    assert keys.status_code == 200
    assert "You have no API keys." in keys.text
    assert 'value="account:read"' in keys.text
    assert "the caller&#39;s profile and the export of their data" in keys.text

    made = site.post(
        "/account/api-keys",
        data={"csrf": csrf_of(keys), "name": "Backup script", "scopes": ["account:read"]},
    )
    assert made.status_code == 200, made.text
    assert "you will not see it again" in made.text
    assert made.headers["cache-control"] == "no-store"
    match = KEY.search(made.text)
    assert match
    key = match.group(1)

    listed = site.get("/account/api-keys")
    assert "Backup script" in listed.text
    assert key not in listed.text  # shown that once only
    assert "<code>account:read</code>" in listed.text

    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200
    listed = site.get("/account/api-keys")
    assert "Not yet" not in listed.text  # its use is recorded

    key_id = re.search(r'href="/account/api-keys/([0-9a-f-]+)/revoke"', listed.text)
    assert key_id
    confirm = site.get(f"/account/api-keys/{key_id.group(1)}/revoke")
    assert confirm.status_code == 200
    assert "Revoke this key?" in confirm.text
    revoked = site.post(
        f"/account/api-keys/{key_id.group(1)}/revoke", data={"csrf": csrf_of(confirm)}
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/account/api-keys?done=revoked"
    after = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {key}"})
    assert after.status_code == 401
    assert "You have no API keys." in site.get("/account/api-keys").text
    russian = site.get("/account/api-keys", params={"lang": "ru"})
    assert "Ключи API" in russian.text
    assert "свой профиль и выгрузка своих данных" in russian.text


def test_a_key_without_scopes_or_with_a_bad_date_is_refused_with_a_sentence(site):  # noqa: F811
    site = signed_in(site)
    keys = site.get("/account/api-keys")
    none = site.post("/account/api-keys", data={"csrf": csrf_of(keys), "name": "x"})
    assert none.status_code == 422
    assert "Tick at least one scope." in none.text
    past = site.post(
        "/account/api-keys",
        data={
            "csrf": csrf_of(keys),
            "name": "old",
            "scopes": ["events:read"],
            "expires_on": "2001-01-01",
        },
    )
    assert past.status_code == 422
    assert 'id="new-key"' not in past.text
    assert 'value="old"' in past.text
    assert "You have no API keys." in past.text
    assert site.get(f"/account/api-keys/{'0' * 8}/revoke").status_code == 404


def test_a_weekly_series_is_made_from_the_form_listed_and_changed(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    form = site.get("/organize/events/new")
    assert 'name="repeat"' in form.text
    made = site.post(
        "/organize/events/new",
        data=form_data(
            csrf_of(form),
            **NO_QUESTIONS,
            title="Tuesday club",
            starts_at="2031-06-03T18:00",
            ends_at="2031-06-03T20:00",
            repeat="weekly",
            repeat_interval="1",
            repeat_days=["TU"],
            repeat_end="count",
            repeat_count="4",
        ),
    )
    assert made.status_code == 303, made.text
    where = made.headers["location"]
    assert where.startswith("/organize/series/")
    assert where.endswith("?created=1")
    series_id = where.split("/")[-1].split("?")[0]
    series = client.get(f"/api/v1/series/{series_id}", headers=auth(organizer)).json()
    assert "COUNT=4" in series["rrule"]
    assert "BYDAY=TU" in series["rrule"]
    assert len(series["occurrences"]) == 4

    page = site.get(where)
    assert page.status_code == 200
    for event_id in series["occurrences"]:
        assert f'href="/organize/events/{event_id}"' in page.text
    for day in ("2031-06-03 18:00", "2031-06-10 18:00", "2031-06-17 18:00", "2031-06-24 18:00"):
        assert day in page.text  # Berlin's clocks
    assert f"/api/v1/series/{series_id}/calendar.ics" in page.text
    calendar = site.get(f"/organize/series/{series_id}/calendar.ics")
    assert calendar.status_code == 200
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert b"RRULE:" in calendar.content  # a draft's calendar, fetched with the session

    changed = site.post(
        f"/organize/series/{series_id}",
        data={
            "csrf": csrf_of(page),
            "title": "Tuesday chess club",
            "description": "Bring a board.",
            "capacity": "12",
            "venue_name": "Library",
            "venue_address": "Main St 2",
            "publish": "on",
        },
    )
    assert changed.status_code == 303, changed.text
    for event_id in series["occurrences"]:
        event = client.get(f"/api/v1/events/{event_id}", headers=auth(organizer)).json()
        assert event["title"] == "Tuesday chess club"
        assert event["capacity"] == 12
        assert event["venue"]["name"] == "Library"
        assert event["status"] == "published"
    assert "Every coming date is changed." in site.get(changed.headers["location"]).text
    russian = site.get(f"/organize/series/{series_id}", params={"lang": "ru"})
    assert "Изменить все будущие даты" in russian.text
    assert "Как часто" in site.get("/organize/events/new").text  # the language is kept


def test_a_bad_rule_is_told_as_a_sentence_next_to_the_repeats_and_makes_nothing(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    form = site.get("/organize/events/new")
    fields = form_data(csrf_of(form), **NO_QUESTIONS, title="Too many", repeat="daily")
    endless = site.post("/organize/events/new", data={**fields, "repeat_count": ""})
    assert endless.status_code == 422
    assert 'id="repeat-error"' in endless.text
    assert "These dates cannot be made." in endless.text
    assert "COUNT or UNTIL" in endless.text
    too_many = site.post("/organize/events/new", data={**fields, "repeat_count": "500"})
    assert too_many.status_code == 422
    assert 'id="repeat-error"' in too_many.text
    assert 'value="500"' in too_many.text  # the form comes back as typed
    unreadable = site.post("/organize/events/new", data={**fields, "repeat_interval": "x"})
    assert unreadable.status_code == 422
    assert "repeat_interval" in unreadable.text
    mine = client.get("/api/v1/me/events", headers=auth(organizer)).json()
    assert mine["items"] == []


def test_the_series_page_of_no_series_is_not_found(site):  # noqa: F811
    site, _ = organizer_site(site)
    assert site.get("/organize/series/not-an-id").status_code == 404
    missing = site.get("/organize/series/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


def test_my_series_tab_lists_the_organizers_series_and_links_each(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    assert "/organize/series" in site.get("/organize").text  # the tab
    empty = site.get("/organize/series")
    assert empty.status_code == 200
    assert WORDS["en"]["series.none"] in empty.text
    made = []
    for title in ("Monday run", "Friday choir"):
        body = event_body(title=title, rrule="FREQ=WEEKLY;COUNT=3")
        created = client.post("/api/v1/series", headers=auth(organizer), json=body)
        assert created.status_code == 201, created.text
        made.append(created.json()["id"])
    other = new_user("organizer")
    theirs = client.post(
        "/api/v1/series",
        headers=auth(other),
        json=event_body(title="Not mine", rrule="FREQ=DAILY;COUNT=2"),
    )
    assert theirs.status_code == 201, theirs.text

    page = site.get("/organize/series")
    assert page.status_code == 200
    for series_id in made:
        assert f'href="/organize/series/{series_id}"' in page.text
    assert page.text.index("Friday choir") < page.text.index("Monday run")  # newest first
    assert "Not mine" not in page.text
    assert 'aria-current="page">My series' in page.text
    assert "Мои серии" in site.get("/organize/series", params={"lang": "ru"}).text
    # A cursor the API refuses is told as a page, not a failure.
    assert site.get("/organize/series", params={"cursor": "x"}).status_code < 500


def test_the_words_of_keys_and_series_are_in_both_languages():
    mine = {
        language: {key for key in words if key.startswith(("keys.", "series."))}
        for language, words in WORDS.items()
    }
    assert mine["en"] == mine["ru"]
    assert {f"keys.scope.{scope}" for scope in SCOPES} <= mine["ru"]
