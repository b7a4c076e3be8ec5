"""The organizer's public page with following, and the reviews on an event's page: the web
function against the real API, as a browser's visit makes them."""

from __future__ import annotations

from tests.support.delivery import recount_ratings
from tests.support.factories import auth, checked_in, create_event, new_user
from tests.support.web import csrf_of, sign_in, site  # noqa: F401 (the fixture)


def test_the_organizer_page_shows_the_profile_and_follows(site, client):  # noqa: F811
    owner = new_user("organizer")
    event = create_event(client, auth(owner), title="Forest walk")
    anonymous = site.get(f"/organizers/{owner.id}")
    assert anonymous.status_code == 200
    assert owner.full_name in anonymous.text
    assert f'href="/events/{event["id"]}"' in anonymous.text
    assert f'href="/api/v1/organizers/{owner.id}/calendar.ics"' in anonymous.text
    assert f'href="/signin?next=/organizers/{owner.id}"' in anonymous.text

    person = new_user()
    sign_in(site, person.email)
    page = site.get(f"/organizers/{owner.id}")
    assert f'action="/organizers/{owner.id}/follow"' in page.text
    followed = site.post(f"/organizers/{owner.id}/follow", data={"csrf": csrf_of(page)})
    assert followed.status_code == 303
    following = client.get("/api/v1/me/following", headers=auth(person)).json()["items"]
    assert [item["organizer_id"] for item in following] == [str(owner.id)]
    page = site.get(f"/organizers/{owner.id}")
    assert f'action="/organizers/{owner.id}/unfollow"' in page.text
    assert "<dd>1</dd>" in page.text  # one follower
    site.post(f"/organizers/{owner.id}/unfollow", data={"csrf": csrf_of(page)})
    assert client.get("/api/v1/me/following", headers=auth(person)).json()["items"] == []

    # The event page names and links its organizer; the widget names them.
    event_page = site.get(f"/events/{event['id']}")
    assert f'<a href="/organizers/{owner.id}">{owner.full_name}</a>' in event_page.text
    widget = site.get(f"/widget/organizers/{owner.id}")
    assert owner.full_name in widget.text

    # Not an organizer, not an id: a page that says so, never a 500; a forged form is refused.
    assert site.get(f"/organizers/{person.id}").status_code == 404
    assert site.get("/organizers/nope").status_code == 404
    forged = site.post(f"/organizers/{owner.id}/follow", data={"csrf": "forged"})
    assert forged.status_code == 403


def test_a_person_checked_in_reviews_and_the_organizer_replies(site, client):  # noqa: F811
    owner = new_user("organizer")
    event = create_event(client, auth(owner), title="Reviewed evening")
    page_of = f"/events/{event['id']}"
    person = checked_in(client, event, owner)
    stranger = new_user()

    sign_in(site, stranger.email)
    page = site.get(page_of)
    assert "No reviews yet." in page.text
    assert 'name="rating"' not in page.text  # only someone checked in gets the form
    refused = site.post(f"{page_of}/reviews", data={"csrf": csrf_of(page), "rating": "5"})
    assert refused.status_code == 403
    site.post("/signout", data={"csrf": csrf_of(page)})

    sign_in(site, person.email)
    page = site.get(page_of)
    assert 'name="rating"' in page.text
    bad = site.post(f"{page_of}/reviews", data={"csrf": csrf_of(page), "rating": "9"})
    assert bad.status_code == 422
    written = site.post(
        f"{page_of}/reviews",
        data={"csrf": csrf_of(page), "rating": "4", "text": "Good <b>talks</b>"},
    )
    assert written.status_code == 303
    # Writing again changes the one review there is.
    site.post(f"{page_of}/reviews", data={"csrf": csrf_of(page), "rating": "5", "text": "Great"})
    reviews = client.get(f"/api/v1{page_of}/reviews").json()["items"]
    assert [(r["rating"], r["text"]) for r in reviews] == [(5, "Great")]
    recount_ratings(client)
    page = site.get(page_of)
    assert "★ 5.0 / 5 · reviews: 1" in page.text
    assert '<option value="5" selected>' in page.text
    assert "★ 5.0 / 5" in site.get("/", params={"q": "Reviewed evening"}).text
    site.post("/signout", data={"csrf": csrf_of(page)})

    sign_in(site, owner.email)
    page = site.get(page_of)
    review_id = reviews[0]["id"]
    reply_to = f"{page_of}/reviews/{review_id}/reply"
    assert f'action="{reply_to}"' in page.text
    replied = site.post(reply_to, data={"csrf": csrf_of(page), "text": "Thank you!"})
    assert replied.status_code == 303
    site.post(reply_to, data={"csrf": csrf_of(page), "text": "Thank you, see you soon!"})
    page = site.get(page_of)
    assert "The organizer replied:" in page.text
    assert "Thank you, see you soon!" in page.text
    empty = site.post(reply_to, data={"csrf": csrf_of(page), "text": " "})
    assert empty.status_code == 422


def test_the_reviews_page_goes_on_where_the_event_page_stops(site, client):  # noqa: F811
    owner = new_user("organizer")
    event = create_event(client, auth(owner))
    for n in range(7):
        person = checked_in(client, event, owner)
        made = client.post(
            f"/api/v1/events/{event['id']}/reviews",
            headers=auth(person),
            json={"rating": 3, "text": f"Review number {n}"},
        )
        assert made.status_code == 201, made.text
    page = site.get(f"/events/{event['id']}")
    assert page.text.count('class="card review"') == 5
    assert f'href="/events/{event["id"]}/reviews"' in page.text
    everything = site.get(f"/events/{event['id']}/reviews", params={"lang": "ru"})
    assert everything.status_code == 200
    assert everything.text.count('class="card review"') == 7
    assert "Отзывы" in everything.text
    assert site.get("/events/00000000-0000-0000-0000-000000000000/reviews").status_code == 404
