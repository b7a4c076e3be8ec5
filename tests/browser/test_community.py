"""The community pages in a real browser on a phone-sized screen: a review written, edited and
answered, the rating on the event and organizer pages, following; an admin hiding the review
and restoring it; an event's discussion with a pinned announcement, a reply that arrives
without a reload and deletions (also of a message the page added by itself); achievements
switched on, earned by a check-in, shown on the leaderboard while public. Every page on the
way passes axe-core with no serious or critical violation. Data the pages do not show being
made goes through the API."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.support.browsing import api_as, event, sign_in
from tests.support.runner import PASSWORD, Runner, create_user
from tests.support.screenshots import shot


def people(stack: Runner, **roles: str) -> dict[str, str]:
    """Accounts made by the CLI, as an operator would: {nickname: email}; the display name is
    the address's first part."""
    emails = {}
    for nickname, role in roles.items():
        emails[nickname] = f"{nickname}.community@example.org"
        create_user(stack.data_dir, emails[nickname], PASSWORD, role)
    return emails


def registered(stack: Runner, email: str, event_id: str) -> str:
    answer = api_as(stack, email).post(f"/api/v1/events/{event_id}/registrations", json={})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def check_in(host: httpx.Client, event_id: str, registration_id: str) -> None:
    answer = host.post(f"/api/v1/events/{event_id}/registrations/{registration_id}/check-in")
    assert answer.status_code == 200, answer.text


def shown_after_reloads(page: Any, path: str, text: str, seconds: float = 30) -> None:
    """What a CloudEvent's consumer changes (a rating, points) shows once it has run."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(path)
        if page.get_by_text(text, exact=False).count():
            return
        assert time.monotonic() < deadline, f"{text!r} never showed on {path}"
        time.sleep(0.5)


def fits_the_phone(page: Any) -> None:
    """Nothing wider than the 360 px screen: no sideways scrolling to read a page."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide on a {widths[1]} px screen"


def switch_person(page: Any, email: str) -> None:
    page.context.clear_cookies()
    sign_in(page, email)


def test_a_review_is_written_answered_rated_followed_and_moderated(page, stack, accessibility):
    who = people(stack, rhost="organizer", rguest="participant", rboss="admin")
    host = api_as(stack, who["rhost"])
    talks = event(host, "Harbour talks")
    check_in(host, talks["id"], registered(stack, who["rguest"], talks["id"]))
    at_event, at_organizer = f"/events/{talks['id']}", f"/organizers/{talks['organizer_id']}"

    sign_in(page, who["rguest"])
    page.goto(at_event)
    page.get_by_label("Stars", exact=True).select_option("4")
    page.get_by_label("Your review (optional)").fill("Good talks, cold room.")
    page.get_by_role("button", name="Send the review").click()
    reviews = page.locator("#reviews li.review")
    expect(reviews.filter(has_text="Good talks, cold room.")).to_be_visible()
    accessibility.check(page)
    # Writing again edits the one review: the form comes back filled in.
    assert page.get_by_label("Your review (optional)").input_value() == "Good talks, cold room."
    page.get_by_label("Stars", exact=True).select_option("5")
    page.get_by_label("Your review (optional)").fill("Good talks, and the room was warm after all.")
    page.get_by_role("button", name="Change your review").click()
    assert reviews.count() == 1
    expect(reviews.first.get_by_label("Stars 5 / 5")).to_be_visible()
    # Following the organizer from their page, then not.
    page.goto(at_organizer)
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_text("You follow this organizer")).to_be_visible()
    accessibility.check(page)
    page.get_by_role("button", name="Unfollow").click()
    expect(page.get_by_role("button", name="Follow")).to_be_visible()
    assert page.get_by_text("You follow this organizer").count() == 0

    # The organizer answers on the event page.
    switch_person(page, who["rhost"])
    page.goto(at_event)
    page.locator("#reviews summary", has_text="Reply").click()
    page.locator("#reviews").get_by_label("Reply").fill("Thank you for coming!")
    page.get_by_role("button", name="Send the reply").click()
    expect(page.get_by_text("The organizer replied:")).to_be_visible()
    expect(page.locator("blockquote.reply").get_by_text("Thank you for coming!")).to_be_visible()
    accessibility.check(page)

    # The rating is counted by the review CloudEvents' consumer: it shows once that has run.
    shown_after_reloads(page, at_event, "★ 5.0 / 5 · reviews: 1")
    fits_the_phone(page)
    shot(page, "event-reviews")
    shown_after_reloads(page, at_organizer, "★ 5.0 / 5 · reviews: 1")
    accessibility.check(page)

    # An admin hides it from the admin pages: it leaves the event page; restored, it is back.
    switch_person(page, who["rboss"])
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Reviews", exact=True).click()
    page.wait_for_url("**/admin/reviews")
    card = page.locator("li.review", has_text="room was warm")
    expect(card.get_by_role("heading", name="Harbour talks")).to_be_visible()
    accessibility.check(page)
    fits_the_phone(page)
    shot(page, "admin-reviews")
    card.get_by_label("Reason").fill("Names a person")
    card.get_by_role("button", name="Hide").click()
    assert page.locator("li.review", has_text="room was warm").count() == 0
    page.goto(at_event)
    assert page.get_by_text("room was warm").count() == 0
    expect(page.get_by_text("No reviews yet.")).to_be_visible()
    accessibility.check(page)

    page.goto("/admin/reviews")
    page.get_by_role("link", name="Hidden").click()
    hidden = page.locator("li.review", has_text="room was warm")
    expect(hidden.get_by_text("Hidden on")).to_be_visible()
    accessibility.check(page)
    hidden.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Nothing here.")).to_be_visible()
    page.goto(at_event)
    expect(page.get_by_text("room was warm")).to_be_visible()
    accessibility.assert_clean()
    assert len(accessibility.pages) >= 7


def test_a_discussion_with_an_announcement_replies_live_and_a_deletion(
    page, second_page, stack, accessibility
):
    who = people(stack, dhost="organizer", dana="participant", dmitri="participant")
    host = api_as(stack, who["dhost"])
    meetup = event(host, "Garden meetup")
    for person in ("dana", "dmitri"):
        registered(stack, who[person], meetup["id"])
    announced = host.post(
        f"/api/v1/events/{meetup['id']}/announcements",
        json={"title": "Bring gloves", "text": "We plant the new beds first."},
    )
    assert announced.status_code == 202, announced.text
    discussion = f"/events/{meetup['id']}/discussion"

    sign_in(page, who["dana"])
    page.goto(f"/events/{meetup['id']}")
    page.get_by_role("link", name="Open the discussion").click()
    page.wait_for_url(f"**{discussion}")
    pinned = page.get_by_role("region", name="Announcements")
    expect(pinned.get_by_role("heading", name="Bring gloves")).to_be_visible()
    expect(pinned.get_by_text("Announcement", exact=True)).to_be_visible()
    page.get_by_label("Text", exact=True).fill("Does anyone have a spare spade?")
    page.get_by_role("button", name="Send", exact=True).click()
    mine = page.locator("li.message", has_text="spare spade")
    expect(mine).to_be_visible()
    accessibility.check(page)
    # Dana writes again from another device (the API): her open page adds it by itself.
    posted = api_as(stack, who["dana"]).post(
        f"/api/v1/events/{meetup['id']}/messages", json={"text": "Seedlings are in my car."}
    )
    assert posted.status_code == 201, posted.text

    # Dmitri replies from his phone while Dana's page stays open: it picks the reply up.
    sign_in(second_page, who["dmitri"])
    second_page.goto(discussion)
    second_page.locator("li.message", has_text="spare spade").get_by_role(
        "link", name="Reply: dana.community"
    ).click()
    expect(second_page.get_by_text("Replying to dana.community")).to_be_visible()
    second_page.get_by_label("Text", exact=True).fill("Yes, I will bring two.")
    second_page.get_by_role("button", name="Send", exact=True).click()
    answer = second_page.locator("li.message", has_text="I will bring two")
    expect(answer.get_by_text("in reply to dana.community")).to_be_visible()
    accessibility.check(second_page)
    # Nobody deletes what they did not write (unless they moderate).
    assert answer.get_by_role("button", name="Delete").count() == 1
    assert (
        second_page.locator("li.message", has_text="spare spade")
        .get_by_role("button", name="Delete")
        .count()
        == 0
    )

    live = page.locator("li.message", has_text="I will bring two")
    live.wait_for(timeout=15_000)
    # Added by the page's script as the server renders it: whom it answers, and a reply link.
    expect(live.get_by_role("link", name="in reply to dana.community")).to_be_visible()
    expect(live.get_by_role("link", name="Reply: dmitri.community")).to_be_visible()
    accessibility.check(page)
    # With a Delete button for her own message only, as after a reload; it works.
    assert live.get_by_role("button", name="Delete").count() == 0
    added = page.locator("li.message", has_text="Seedlings are in my car.")
    added.get_by_role("button", name="Delete").click()
    assert page.locator("li.message", has_text="Seedlings").count() == 0
    fits_the_phone(page)
    shot(page, "discussion")

    # Dana deletes her question: it is gone for everyone; the reply stays, and says so.
    mine.get_by_role("button", name="Delete").click()
    assert page.locator("li.message", has_text="spare spade").count() == 0
    second_page.reload()
    assert second_page.locator("li.message", has_text="spare spade").count() == 0
    reply = second_page.locator("li.message", has_text="I will bring two")
    expect(reply.get_by_text("in reply to an earlier or deleted message")).to_be_visible()
    accessibility.check(second_page)
    accessibility.assert_clean()


def test_achievements_are_opt_in_earned_at_the_door_and_public_only_by_choice(
    page, stack, accessibility
):
    who = people(stack, ahost="organizer", alina="participant")
    host = api_as(stack, who["ahost"])
    climb = event(host, "Bouldering night")
    registration = registered(stack, who["alina"], climb["id"])

    sign_in(page, who["alina"])
    page.get_by_role("link", name="My account").click()
    page.get_by_role("link", name="Achievements").click()
    page.wait_for_url("**/account/achievements")
    expect(page.get_by_role("heading", name="Points: 0")).to_be_visible()
    assert not page.get_by_label("Collect points and badges").is_checked()
    accessibility.check(page)
    page.get_by_label("Collect points and badges").check()
    page.get_by_label("Show me on the leaderboards").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your choice is saved.")).to_be_visible()
    assert page.get_by_label("Show me on the leaderboards").is_checked()

    # A check-in at the door is a verified action: points once its CloudEvent is consumed.
    check_in(host, climb["id"], registration)
    deadline = time.monotonic() + 30
    while page.get_by_role("heading", name="Points: 0").count():
        assert time.monotonic() < deadline, "no points for the check-in"
        time.sleep(0.5)
        page.reload()
    assert page.locator(".facts dd").first.inner_text() == "1"  # attended once
    accessibility.check(page)
    fits_the_phone(page)
    shot(page, "achievements")

    page.get_by_role("link", name="Leaderboard").click()
    board = page.get_by_role("region", name="Leaderboard")
    expect(board.get_by_role("cell", name="alina.community")).to_be_visible()
    accessibility.check(page)
    fits_the_phone(page)
    page.get_by_role("link", name="All time").click()
    expect(page.get_by_role("cell", name="alina.community")).to_be_visible()
    # Opting out of being public hides her from every board at once.
    page.goto("/account/achievements")
    page.get_by_label("Show me on the leaderboards").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your choice is saved.")).to_be_visible()
    for period in ("month", "year", "all"):
        page.goto(f"/leaderboard?period={period}")
        assert page.get_by_role("cell", name="alina.community").count() == 0
    accessibility.check(page)
    accessibility.assert_clean()
