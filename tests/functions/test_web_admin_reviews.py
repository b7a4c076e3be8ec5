"""Reviews moderation in the admin pages against the real gateway on a real port: every
event's reviews listed, one hidden with a reason (it leaves the event page and its rating),
then restored; bad forms and conflicts answered readably."""

from __future__ import annotations

from tests.support.delivery import recount_ratings
from tests.support.factories import auth, checked_in, create_event, new_user
from tests.support.web import admin_site, csrf_of, sign_in, site  # noqa: F401 (the fixture)


def test_an_admin_hides_a_review_and_restores_it(site, client):  # noqa: F811
    owner = new_user("organizer")
    event = create_event(client, auth(owner), title="Harbour talks")
    reviews = f"/api/v1/events/{event['id']}/reviews"
    rude, kind = checked_in(client, event, owner), checked_in(client, event, owner)
    for person, rating, text in ((kind, 5, "Lovely evening"), (rude, 1, "Rude words here")):
        written = client.post(reviews, headers=auth(person), json={"rating": rating, "text": text})
        assert written.status_code == 201, written.text
    recount_ratings(client)
    admin_site(site)

    listing = site.get("/admin/reviews")
    assert listing.status_code == 200
    assert 'href="/admin/reviews"' in listing.text  # in the admin nav
    assert listing.text.count('class="card review"') == 2
    assert "Harbour talks" in listing.text
    assert "Rude words here" in listing.text
    rude_id = next(r["id"] for r in client.get(reviews).json()["items"] if r["rating"] == 1)
    hidden = site.post(
        "/admin/reviews",
        data={
            "csrf": csrf_of(listing),
            "review": rude_id,
            "action": "hide",
            "reason": "Insults",
            "back": "/admin/reviews",
        },
    )
    assert hidden.status_code == 303
    assert hidden.headers["location"] == "/admin/reviews"
    recount_ratings(client)
    assert "Rude words here" not in site.get("/admin/reviews").text
    event_page = site.get(f"/events/{event['id']}")
    assert "Rude words here" not in event_page.text
    assert "★ 5.0 / 5 · reviews: 1" in event_page.text

    in_hidden = site.get("/admin/reviews", params={"state": "hidden", "lang": "ru"})
    assert "Rude words here" in in_hidden.text
    assert "Вернуть" in in_hidden.text
    assert "Скрыт" in in_hidden.text
    audit = site.get("/admin/audit", params={"action": "review.hide"})
    assert "Insults" in audit.text

    restored = site.post(
        "/admin/reviews",
        data={"csrf": csrf_of(in_hidden), "review": rude_id, "action": "restore"},
    )
    assert restored.status_code == 303
    recount_ratings(client)
    assert "Rude words here" in site.get(f"/events/{event['id']}").text

    # A review restored twice is a conflict, shown as a page; a form made up is refused.
    again = site.post(
        "/admin/reviews",
        data={"csrf": csrf_of(in_hidden), "review": rude_id, "action": "restore"},
    )
    assert again.status_code == 409
    assert "<html" in again.text
    assert "Traceback" not in again.text
    for made_up in ({"review": "nope", "action": "hide"}, {"review": rude_id, "action": "drop"}):
        refused = site.post("/admin/reviews", data={"csrf": csrf_of(in_hidden), **made_up})
        assert refused.status_code == 422
        assert "Выберите отзыв и действие." in refused.text  # Russian, as chosen above
    # Without the form's token nothing happens.
    forged = site.post("/admin/reviews", data={"review": rude_id, "action": "hide"})
    assert forged.status_code == 403
    assert "Rude words here" in site.get(f"/events/{event['id']}").text


def test_reviews_moderation_is_for_admins_only(site, client):  # noqa: F811
    anonymous = site.get("/admin/reviews")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/signin?next=%2Fadmin%2Freviews"
    organizer = new_user("organizer")
    sign_in(site, organizer.email)
    refused = site.get("/admin/reviews")
    assert refused.status_code == 403
    assert "For administrators only" in refused.text
    posted = site.post(
        "/admin/reviews",
        data={"csrf": csrf_of(refused), "review": str(organizer.id), "action": "hide"},
    )
    assert posted.status_code == 403
