"""The web front end against the real gateway on a real port: every page is built from the
public API over HTTP, as a browser's visit would make it."""

from __future__ import annotations

import re

from shared.web import sessions
from tests.support.factories import PASSWORD, bearer, create_event, new_user
from tests.support.mailbox import deliver_outbox_to_notify, mailed_link, send_pending_mail
from tests.support.web import csrf_of, sign_in, site  # noqa: F401 (the fixture)


def test_the_list_searches_filters_and_pages(site, client):  # noqa: F811
    organizer = bearer(client, "organizer")
    create_event(client, organizer, title="Jazz night", category="concert", tags=["music"])
    for n in range(21):
        create_event(client, organizer, title=f"Python meetup {n}")
    home = site.get("/")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert "style-src 'self'" in home.headers["content-security-policy"]
    assert home.text.count('class="card"') == 20
    more = re.search(r'href="/\?([^"]*cursor=[^"]+)"', home.text)
    assert more, "a second page is linked"
    second = site.get("/?" + more.group(1).replace("&amp;", "&"))
    assert second.text.count('class="card"') == 2
    found = site.get("/", params={"q": "jazz"})
    assert "Jazz night" in found.text
    assert "Python meetup" not in found.text
    by_category = site.get("/", params={"category": "concert", "tag": "music"})
    assert by_category.text.count('class="card"') == 1
    assert '<option value="concert" selected>' in by_category.text
    later = site.get("/", params={"from": "2040-01-01"})
    assert "No events match." in later.text


def test_the_event_page_shows_its_zone_place_seats_and_calendar_links(site, client):  # noqa: F811
    organizer = bearer(client, "organizer")
    event = create_event(
        client,
        organizer,
        capacity=3,
        venue={"name": "Hall <A>", "address": "Main St 1, Berlin", "lat": 52.52, "lon": 13.4},
    )
    page = site.get(f"/events/{event['id']}")
    assert page.status_code == 200
    # 18:00 in Berlin, as the organizer wrote it, whatever the server's zone.
    assert "2031-05-01 18:00" in page.text
    assert "Europe/Berlin" in page.text
    assert "Hall &lt;A&gt;" in page.text  # escaped, never markup
    assert "https://www.openstreetmap.org/?mlat=52.52&amp;mlon=13.4#map=17/52.52/13.4" in page.text
    assert "3 / 3" in page.text
    assert f'href="/api/v1/events/{event["id"]}/calendar.ics"' in page.text
    assert "https://calendar.google.com/" in page.text
    assert f'href="/signin?next=/events/{event["id"]}"' in page.text
    missing = site.get("/events/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert "not found" in missing.text
    assert "{" not in missing.text.split("<main")[1]


def test_a_participant_signs_in_registers_sees_the_ticket_and_signs_out(site, client):  # noqa: F811
    event = create_event(client, bearer(client, "organizer"), capacity=5)
    person = new_user("participant")
    site.get("/signin")
    before = site.cookies[sessions.COOKIE]
    signed = sign_in(site, person.email)
    # A new session at sign-in: one planted before it (session fixation) is gone.
    assert site.cookies[sessions.COOKIE] != before
    assert sessions.load(before) is None
    assert signed.status_code == 303
    assert signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    page = site.get(f"/events/{event['id']}")
    registered = site.post(f"/events/{event['id']}/register", data={"csrf": csrf_of(page)})
    assert registered.status_code == 303
    page = site.get(f"/events/{event['id']}")
    assert "You are registered." in page.text
    assert "4 / 5" in page.text
    tickets = site.get("/account/registrations")
    assert tickets.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in tickets.text
    assert "Confirmed" in tickets.text
    session = sessions.load(site.cookies[sessions.COOKIE])
    assert session is not None
    assert session.refresh_token
    out = site.post("/signout", data={"csrf": csrf_of(tickets)})
    assert out.status_code == 303
    # The API session is over too: its refresh token no longer works.
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert refused.status_code == 401
    assert sessions.load(session.id) is None
    assert site.get("/account/registrations").headers["location"].startswith("/signin")


def test_forms_need_their_csrf_token(site):  # noqa: F811
    person = new_user("participant")
    site.get("/signin")
    forged = site.post(
        "/signin", data={"csrf": "forged", "email": person.email, "password": PASSWORD}
    )
    assert forged.status_code == 403
    assert "The form has expired" in forged.text
    assert "Sign out" not in forged.text  # nobody was signed in


def test_api_errors_are_sentences_for_people(site):  # noqa: F811
    wrong = sign_in(site, "nobody@example.org", "wrong-password-1")
    assert wrong.status_code == 401
    assert "Your email or password is wrong" in wrong.text
    assert "application/problem" not in wrong.text
    assert '"status"' not in wrong.text
    weak = site.get("/signup")
    short = site.post(
        "/signup",
        data={
            "csrf": csrf_of(weak),
            "email": "a@example.org",
            "full_name": "A",
            "password": "short",
        },
    )
    assert short.status_code == 422
    assert "Some fields are not valid (password)" in short.text


def test_the_language_follows_the_browser_and_the_switch(site):  # noqa: F811
    russian = site.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert '<html lang="ru">' in russian.text
    assert "Ближайшие события" in russian.text
    assert 'href="/?lang=en"' in russian.text
    switched = site.get("/?lang=en", headers={"Accept-Language": "ru"})
    assert '<html lang="en">' in switched.text
    kept = site.get("/signin", headers={"Accept-Language": "ru"})  # the cookie remembers
    assert '<html lang="en">' in kept.text


def test_static_files_are_fingerprinted_and_cached_for_a_year(site):  # noqa: F811
    home = site.get("/")
    [stylesheet] = re.findall(r'href="(/static/app\.[0-9a-f]{12}\.css)"', home.text)
    css = site.get(stylesheet)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert site.get("/static/app.css").status_code == 404


def test_every_other_path_is_a_page_and_the_api_stays_the_api(site):  # noqa: F811
    page = site.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    api = site.get("/api/v1/no-such-route")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert site.get("/healthz").json()["status"] == "ok"


def test_sign_up_then_the_mailed_link_verifies(site, client, outbox_dir):  # noqa: F811
    form = site.get("/signup")
    # PUBLIC_URL is https here: the session cookie is Secure, so this client sends it by hand.
    assert "Secure" in form.headers["set-cookie"]
    cookie = {"Cookie": f"{sessions.COOKIE}={form.cookies[sessions.COOKIE]}"}
    done = site.post(
        "/signup",
        data={
            "csrf": csrf_of(form),
            "email": "nina@example.org",
            "full_name": "Nina",
            "password": "0123456789",
        },
        headers=cookie,
    )
    assert done.status_code == 200, done.text
    assert "Check your mail" in done.text
    deliver_outbox_to_notify(client)
    send_pending_mail()
    token, _ = mailed_link(outbox_dir)
    confirmed = site.post("/verify-email", data={"token": token})
    assert "Email confirmed" in confirmed.text
