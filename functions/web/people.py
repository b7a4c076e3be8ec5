"""People around events: an organizer's public page with following, and the reviews of an
event (its rating, the reviews a page at a time, writing or editing one's own, the team's
reply). Every step goes through the public API (/organizers, /me/following, …/reviews)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.page import Page, is_uuid, not_found, page_status
from shared.web.api import ApiError

# Reviews shown on the event page itself; the rest are on its reviews page.
FIRST_REVIEWS = 5
REVIEWS_PAGE = 20
STARS = range(1, 6)


def organizer_profile(page: Page, organizer_id: str) -> dict[str, Any] | None:
    """The organizer's public profile, or None when it cannot be read (the page still works)."""
    try:
        found: dict[str, Any] = page.api.get(f"/organizers/{organizer_id}")
    except ApiError:
        return None
    return found


def _message(page: Page, failure: ApiError, back: str) -> Response:
    return page.render(
        "message.html",
        page_status(failure),
        title=page.words("error.title"),
        text=page.error_text(failure),
        back=back,
    )


def _signin(page: Page, back: str) -> Response:
    return page.redirect(f"/signin?next={back}")


@fn.get("/organizers/{organizer_id}", **PAGE)
def organizer(request: Request, organizer_id: str) -> Response:
    page = Page.of(request)
    if not is_uuid(organizer_id):
        return not_found(page)
    try:
        profile = page.api.get(f"/organizers/{organizer_id}")
    except ApiError as failure:
        return _message(page, failure, "/")
    me = page.session.user if page.signed_in and page.session else None
    following = None  # not shown: a visitor, or the organizer themself
    if me and str(me.get("id")) != organizer_id:
        following = _follows(page, organizer_id)
    return page.render("organizer.html", profile=profile, following=following)


def _follows(page: Page, organizer_id: str) -> bool | None:
    try:
        items = page.api.get("/me/following")["items"]
    except ApiError:
        return None
    return any(str(item["organizer_id"]) == organizer_id for item in items)


@fn.post("/organizers/{organizer_id}/follow", **PAGE)
def follow(request: Request, organizer_id: str, csrf: FormText = "") -> Response:
    return _following(request, organizer_id, csrf, "POST")


@fn.post("/organizers/{organizer_id}/unfollow", **PAGE)
def unfollow(request: Request, organizer_id: str, csrf: FormText = "") -> Response:
    return _following(request, organizer_id, csrf, "DELETE")


def _following(request: Request, organizer_id: str, csrf: str, method: str) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not is_uuid(organizer_id):
        return not_found(page)
    back = f"/organizers/{organizer_id}"
    if not page.signed_in:
        return _signin(page, back)
    try:
        page.api.call(method, f"/organizers/{organizer_id}/follow")
    except ApiError as failure:
        return _message(page, failure, back)
    return page.redirect(back)


def about_event(page: Page, event: dict[str, Any], mine: dict[str, Any] | None) -> dict[str, Any]:
    """What the event page shows of its people: the organizer's name (one call), the first
    reviews, and which forms the visitor may use (the API decides in the end)."""
    me = page.session.user if page.signed_in and page.session else None
    my_id = str(me.get("id")) if me else None
    profile = organizer_profile(page, str(event["organizer_id"]))
    reviews = _reviews(page, str(event["id"]), "", FIRST_REVIEWS)
    items = reviews["items"] if reviews else []
    return {
        "organizer": profile,
        "reviews": items,
        "more_reviews": bool(reviews and reviews.get("next_cursor")),
        "my_review": next((r for r in items if str(r["user_id"]) == my_id), None),
        # Only someone checked in at the event may review it.
        "may_review": bool(mine and mine.get("status") == "checked_in"),
        "may_reply": _may_reply(me, event),
        "stars": STARS,
    }


def _may_reply(me: dict[str, Any] | None, event: dict[str, Any]) -> bool:
    """The owner, co-organizers (`viewer_role`, from GET /events/{id}/me) and admins."""
    if not me:
        return False
    return event.get("viewer_role") in ("owner", "co_organizer") or me.get("role") == "admin"


def _reviews(page: Page, event_id: str, cursor: str, limit: int) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = page.api.get(
            f"/events/{event_id}/reviews", cursor=cursor, limit=limit
        )
    except ApiError:
        return None  # the event is readable without its reviews
    return found


@fn.get("/events/{event_id}/reviews", **PAGE)
def reviews(request: Request, event_id: str, cursor: Text = "") -> Response:
    page = Page.of(request)
    if not is_uuid(event_id):
        return not_found(page)
    try:
        event = page.api.get(f"/events/{event_id}")
        listing = page.api.get(
            f"/events/{event_id}/reviews", cursor=cursor[:512], limit=REVIEWS_PAGE
        )
    except ApiError as failure:
        return _message(page, failure, f"/events/{event_id}")
    me = page.session.user if page.signed_in and page.session else None
    return page.render(
        "reviews.html",
        event=event,
        reviews=listing["items"],
        next_cursor=listing.get("next_cursor"),
        # Anyone of the organizing side may try; the API tells a stranger no.
        may_reply=bool(me and me.get("role") in ("organizer", "admin")),
    )


@fn.post("/events/{event_id}/reviews", **PAGE)
def write_review(
    request: Request, event_id: str, csrf: FormText = "", rating: FormText = "", text: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not is_uuid(event_id):
        return not_found(page)
    back = f"/events/{event_id}"
    if not page.signed_in:
        return _signin(page, back)
    stars = int(rating) if rating.strip().isdigit() else 0
    if stars not in STARS:
        return page.render(
            "message.html",
            422,
            title=page.words("error.title"),
            text=page.words("people.review.pick_stars"),
            back=back,
        )
    body: dict[str, Any] = {"rating": stars, "text": text.strip() or None}
    path = f"/events/{event_id}/reviews"
    try:
        try:
            page.api.post(path, body)
        except ApiError as failure:
            # One review per person: writing again edits the one there is.
            review_id = failure.extra.get("review_id")
            if failure.status != 409 or not is_uuid(str(review_id)):
                raise
            page.api.call("PATCH", f"{path}/{review_id}", json=body)
    except ApiError as failure:
        return _message(page, failure, back)
    return page.redirect(back + "#reviews")


@fn.post("/events/{event_id}/reviews/{review_id}/reply", **PAGE)
def reply(
    request: Request, event_id: str, review_id: str, csrf: FormText = "", text: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not (is_uuid(event_id) and is_uuid(review_id)):
        return not_found(page)
    back = f"/events/{event_id}"
    if not page.signed_in:
        return _signin(page, back)
    path = f"/events/{event_id}/reviews/{review_id}/reply"
    body = {"text": text.strip()}
    try:
        try:
            page.api.post(path, body)
        except ApiError as failure:
            if failure.status != 409:  # replied already: this changes that reply
                raise
            page.api.call("PATCH", path, json=body)
    except ApiError as failure:
        return _message(page, failure, back)
    return page.redirect(back + "#reviews")
