"""An organizer's day, in a real browser on a phone-sized screen: they create an event with a
registration question and publish it, a participant answers it when registering, and the
organizer sees the answer, the statistics, the team and the pictures, then requests a report and
downloads it. Every page on the way passes axe-core with no serious or critical violation."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import expect

from tests.support.runner import PASSWORD, Runner, create_user
from tests.support.screenshots import shot

ORGANIZER = "olga.organizer@example.org"
PARTICIPANT = "pavel.participant@example.org"


def register_with_an_answer(stack: Runner, event_id: str) -> None:
    """A participant made through the API, as the brief allows: the web's own sign-up is
    covered by the participant's browser test."""
    create_user(stack.data_dir, PARTICIPANT, PASSWORD, "participant")
    api = httpx.Client(base_url=stack.url, timeout=30)
    tokens = api.post("/api/v1/auth/login", json={"email": PARTICIPANT, "password": PASSWORD})
    joined = api.post(
        f"/api/v1/events/{event_id}/registrations",
        json={"answers": {"diet": "vegan"}},
        headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
    )
    assert joined.status_code == 201, joined.text


def figure(page, name: str) -> str:
    shown: str = page.locator(".figures div", has_text=name).locator("dd").inner_text()
    return shown


def reload_until_counted(page, name: str, value: str, timeout: float = 60) -> None:
    """Figures are counted from CloudEvents, delivered a moment after the change."""
    deadline = time.monotonic() + timeout
    while figure(page, name) != value:
        assert time.monotonic() < deadline, page.content()
        time.sleep(1)
        page.reload()


def test_an_organizer_publishes_sees_answers_statistics_and_downloads_a_report(
    page, stack, accessibility, tmp_path: Path
):
    create_user(stack.data_dir, ORGANIZER, PASSWORD, "organizer")
    page.goto("/signin?next=/organize")
    page.get_by_label("Email").fill(ORGANIZER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organize")
    expect(page.get_by_role("heading", name="My events")).to_be_visible()
    accessibility.check(page)

    page.get_by_role("link", name="Create an event").click()
    page.get_by_label("Title", exact=True).fill("Vegan cooking class")
    page.get_by_label("Description").fill("We cook three dishes together.")
    page.get_by_label("Category").select_option("workshop")
    page.get_by_label("Tags").fill("food, cooking")
    page.get_by_label("Starts").fill("2031-10-01T18:00")
    page.get_by_label("Ends").fill("2031-10-01T21:00")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Venue").fill("Kitchen studio")
    page.get_by_label("Address").fill("Kochstraße 5, Berlin")
    page.get_by_label("Capacity").fill("12")
    page.get_by_label("Id", exact=True).first.fill("diet")
    page.get_by_label("Kind of answer").first.select_option("choice")
    page.get_by_label("Question text").first.fill("Which diet do you follow?")
    page.get_by_label("An answer is required").first.check()
    page.get_by_label("Options, one a line").first.fill("vegan\nvegetarian\nany")
    accessibility.check(page)
    shot(page, "organizer-form")
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url(re.compile(r"/organize/events/[0-9a-f-]{36}$"))
    event_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text("Draft", exact=True).first).to_be_visible()
    assert page.get_by_role("link", name="Door check-in").get_attribute("href") == (
        f"/organize/events/{event_id}/door"
    )

    page.get_by_role("link", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", name="Publish this event?")).to_be_visible()
    accessibility.check(page)
    page.get_by_role("button", name="Yes, publish it").click()
    expect(page.get_by_text("The event is published.")).to_be_visible()
    accessibility.check(page)

    register_with_an_answer(stack, event_id)
    page.get_by_role("link", name="Participants").click()
    expect(page.get_by_role("cell", name=PARTICIPANT)).to_be_visible()
    expect(page.get_by_text("Which diet do you follow?")).to_be_visible()
    expect(page.get_by_text("vegan", exact=True)).to_be_visible()
    accessibility.check(page)

    page.get_by_role("link", name="Statistics").click()
    reload_until_counted(page, "Confirmed", "1")
    expect(page.get_by_role("img", name="People by status")).to_be_visible()
    accessibility.check(page)
    shot(page, "organizer-statistics")

    page.get_by_role("link", name="Team").click()
    page.get_by_label("E-mail of their account").fill(PARTICIPANT)
    page.get_by_label("Role").select_option("steward")
    page.get_by_role("button", name="Add to the team").click()
    expect(page.get_by_role("cell", name="Steward")).to_be_visible()
    accessibility.check(page)

    page.get_by_role("link", name="Pictures and files").click()
    picture = tmp_path / "kitchen.png"
    Image.new("RGB", (64, 48), "darkgreen").save(picture, "PNG")
    page.get_by_label(re.compile("A picture")).set_input_files(str(picture))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("img", name="kitchen.png")).to_be_visible()
    accessibility.check(page)

    page.get_by_role("link", name="Reports").click()
    page.get_by_label("Format").select_option("csv")
    page.get_by_role("button", name="Request the report").click()
    # The page checks again by itself (its small module) until the worker has built it.
    download_link = page.get_by_role("link", name="Download the report")
    download_link.wait_for(timeout=90_000)
    accessibility.check(page)
    with page.expect_download() as downloading:
        download_link.click()
    content = Path(downloading.value.path()).read_bytes().decode("utf-8-sig")
    assert PARTICIPANT in content
    assert "vegan" in content

    page.get_by_role("link", name="My events").first.click()
    expect(page.get_by_role("link", name="Vegan cooking class", exact=True)).to_be_visible()
    accessibility.check(page)
    shot(page, "organizer-events")
    page.get_by_role("link", name="Русский").click()
    expect(page.get_by_role("heading", name="Мои события")).to_be_visible()
    accessibility.check(page)

    accessibility.assert_clean()
    assert len(accessibility.pages) >= 10
