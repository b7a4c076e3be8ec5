"""An organizer makes a weekly series through the new-event form in a real browser on a
phone-sized screen, sees its four dates and changes the coming ones; every page on the way
passes axe-core with no serious or critical violation."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.runner import PASSWORD, create_user
from tests.support.screenshots import shot

ORGANIZER = "sergei.series@example.org"


def test_an_organizer_makes_a_weekly_series_and_changes_its_coming_dates(
    page, stack, accessibility
):
    create_user(stack.data_dir, ORGANIZER, PASSWORD, "organizer")
    page.goto("/signin?next=/organize/events/new")
    page.get_by_label("Email").fill(ORGANIZER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organize/events/new")

    page.get_by_label("Title", exact=True).fill("Tuesday chess club")
    page.get_by_label("Description").fill("Open boards for every level.")
    page.get_by_label("Category").select_option("meetup")
    page.get_by_label("Starts").fill("2031-09-02T18:00")
    page.get_by_label("Ends", exact=True).fill("2031-09-02T21:00")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Venue").fill("City library")
    page.get_by_label("Address").fill("Bibliotheksplatz 1, Berlin")
    page.get_by_label("How often").select_option("weekly")
    page.get_by_label("Tue", exact=True).check()
    page.get_by_label("after a number of times").check()
    page.get_by_label("Number of times", exact=True).fill("4")
    accessibility.check(page)
    page.get_by_role("button", name="Create the draft").click()

    page.wait_for_load_state()
    assert "/organize/series/" in page.url, page.locator("main").inner_text()
    expect(page.get_by_role("heading", name="Tuesday chess club")).to_be_visible()
    dates = page.locator(".series-dates li")
    assert dates.count() == 4
    assert "2031-09-23 18:00" in dates.nth(3).inner_text()
    accessibility.check(page)
    shot(page, "organizer-series")

    page.get_by_label("Title", exact=True).fill("Tuesday chess and go club")
    page.get_by_label("Publish every coming date still a draft").check()
    page.get_by_role("button", name="Change the coming dates").click()
    page.wait_for_url("**?saved=1")
    expect(page.get_by_role("heading", name="Tuesday chess and go club")).to_be_visible()
    assert page.locator(".series-dates li", has_text="Published").count() == 4
    accessibility.check(page)

    page.locator(".series-dates a").first.click()
    page.wait_for_url("**/organize/events/*")
    assert page.get_by_label("Title", exact=True).input_value() == "Tuesday chess and go club"
    accessibility.check(page)
    accessibility.assert_clean()
