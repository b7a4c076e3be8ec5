"""A participant's first visit, in a real browser on a phone-sized screen: they find an event,
sign up, confirm their address with the mailed link, sign in, register and see their ticket.
Every page on the way passes axe-core with no serious or critical violation."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.support.runner import PASSWORD, Runner, create_user, wait_for_link
from tests.support.screenshots import shot


def published_event(stack: Runner) -> dict:
    create_user(stack.data_dir, "host@example.org", PASSWORD, "organizer")
    api = httpx.Client(base_url=stack.url, timeout=30)
    tokens = api.post(
        "/api/v1/auth/login", json={"email": "host@example.org", "password": PASSWORD}
    ).json()
    created = api.post(
        "/api/v1/events",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        json={
            "title": "Open-source evening",
            "description": "Short talks about the tools we build, then questions.\n"
            "Bring a laptop if you want to try things out.",
            "starts_at": "2031-09-01T16:00:00+00:00",
            "ends_at": "2031-09-01T19:00:00+00:00",
            "timezone": "Europe/Berlin",
            "category": "meetup",
            "tags": ["python", "community"],
            "venue": {
                "name": "Community Hall",
                "address": "Hauptstraße 1, Berlin",
                "lat": 52.52,
                "lon": 13.405,
            },
            "capacity": 40,
            "status": "published",
        },
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_a_participant_signs_up_verifies_registers_and_sees_the_ticket(page, stack, accessibility):
    event = published_event(stack)

    page.goto("/")
    accessibility.check(page)
    shot(page, "events")
    page.get_by_label("Words").fill("open-source")
    page.get_by_role("button", name="Show events").click()
    accessibility.check(page)
    page.get_by_role("link", name="Open-source evening").click()
    page.wait_for_url(f"**/events/{event['id']}")
    # 16:00 UTC is 18:00 in Berlin, where it happens.
    expect(page.get_by_text("2031-09-01 18:00")).to_be_visible()
    accessibility.check(page)
    shot(page, "event")

    page.get_by_role("link", name="Sign up").first.click()
    accessibility.check(page)
    page.get_by_label("Full name").fill("Pat Participant")
    page.get_by_label("Email").fill("pat@example.org")
    page.get_by_label("Password").fill("participant-password-1")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    accessibility.check(page)

    link = wait_for_link(stack, "pat@example.org")
    page.goto(link)
    accessibility.check(page)
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("heading", name="Email confirmed")).to_be_visible()
    page.goto(f"/signin?next=/events/{event['id']}")
    accessibility.check(page)
    page.get_by_label("Email").fill("pat@example.org")
    page.get_by_label("Password").fill("participant-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/events/{event['id']}")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered.")).to_be_visible()
    accessibility.check(page)

    page.get_by_role("link", name="My registrations").click()
    ticket = page.get_by_role("img", name=re.compile("Ticket: Open-source evening"))
    expect(ticket).to_be_visible()
    expect(page.get_by_text("Confirmed")).to_be_visible()
    accessibility.check(page)
    shot(page, "ticket")

    page.get_by_role("link", name="Русский").click()
    expect(page.get_by_role("heading", name="Мои записи")).to_be_visible()
    accessibility.check(page)

    accessibility.assert_clean()
    assert len(accessibility.pages) >= 10
