"""Verified reviews: people checked in at an event rate it, its organizer replies, admins
hide and restore. The event's `rating` is kept by track_activity from the review CloudEvents."""

import uuid
from typing import Annotated, Literal

from fastapi import Query
from mangum import Mangum
from pydantic import Field, StringConstraints

from shared.db import unit_of_work
from shared.events.errors import EventNotFound, NotEventOwner
from shared.kit import Admin, CurrentUser, Function, OptionalUser
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.reviews import service
from shared.reviews.errors import (
    NoReply,
    NotCheckedIn,
    NotReviewAuthor,
    ReplyExists,
    ReviewExists,
    ReviewModerationConflict,
    ReviewNotFound,
)
from shared.reviews.schemas import ModeratedReviewPage, ReviewPage, ReviewPublic
from shared.validation import RequestModel, WholeNumber

fn = Function(
    "review_events",
    summary="Verified reviews of events: write, edit, list, reply, moderate.",
    secrets=("cursor_secret",),
)

REVIEWS = "/api/v1/events/{event_id}/reviews"
REPLY = REVIEWS + "/{review_id}/reply"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Stars = Annotated[WholeNumber, Field(ge=1, le=5)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ReviewIn(RequestModel):
    """An edit: only the fields given change (`text: null` removes the text)."""

    rating: Stars | None = None
    text: Text | None = None


class ReviewCreate(RequestModel):
    rating: Stars
    text: Text | None = None


class ReplyIn(RequestModel):
    text: Text


class ReviewModeration(RequestModel):
    action: service.Action
    reason: Reason | None = None


@fn.post(
    REVIEWS,
    status_code=201,
    response_model=ReviewPublic,
    errors=(EventNotFound, NotCheckedIn, ReviewExists),
)
def write(event_id: uuid.UUID, body: ReviewCreate, user: CurrentUser) -> ReviewPublic:
    """Once per person, and only by someone checked in at the event (a check-in also shows
    it has started); a second one answers 409 with the first one's `review_id`."""
    with unit_of_work() as session:
        return service.write(session, event_id, user.user_id, user.is_admin, body.rating, body.text)


@fn.patch(
    REVIEWS + "/{review_id}",
    response_model=ReviewPublic,
    errors=(ReviewNotFound, NotReviewAuthor),
)
def edit(
    event_id: uuid.UUID, review_id: uuid.UUID, body: ReviewIn, user: CurrentUser
) -> ReviewPublic:
    changes: dict[str, object] = {}
    if body.rating is not None:
        changes["rating"] = body.rating
    if "text" in body.model_fields_set:
        changes["text"] = body.text
    with unit_of_work() as session:
        return service.edit(session, event_id, review_id, user.user_id, changes)


@fn.get(REVIEWS, response_model=ReviewPage, errors=(EventNotFound,))
def list_reviews(
    event_id: uuid.UUID,
    user: OptionalUser,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> ReviewPage:
    """Newest first; hidden reviews are left out."""
    viewer = user.user_id if user else None
    with unit_of_work() as session:
        return service.page(
            session, event_id, viewer, bool(user and user.is_admin), cursor=cursor, limit=limit
        )


@fn.post(
    REPLY,
    status_code=201,
    response_model=ReviewPublic,
    errors=(EventNotFound, NotEventOwner, ReviewNotFound, ReplyExists),
)
def reply(
    event_id: uuid.UUID, review_id: uuid.UUID, body: ReplyIn, user: CurrentUser
) -> ReviewPublic:
    """The organizer's (or a co-organizer's) one reply; the author is told."""
    with unit_of_work() as session:
        return service.reply(
            session, event_id, review_id, user.user_id, user.is_admin, body.text, first=True
        )


@fn.patch(
    REPLY,
    response_model=ReviewPublic,
    errors=(EventNotFound, NotEventOwner, ReviewNotFound, NoReply),
)
def edit_reply(
    event_id: uuid.UUID, review_id: uuid.UUID, body: ReplyIn, user: CurrentUser
) -> ReviewPublic:
    with unit_of_work() as session:
        return service.reply(
            session, event_id, review_id, user.user_id, user.is_admin, body.text, first=False
        )


@fn.get("/api/v1/admin/reviews", response_model=ModeratedReviewPage)
def moderation_list(
    admin: Admin,
    state: Literal["visible", "hidden"] = "visible",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> ModeratedReviewPage:
    """Every event's reviews, newest first: `state=visible` (to hide) or `hidden` (to
    restore), with the event's title."""
    with unit_of_work() as session:
        return service.moderation_page(
            session, hidden=state == "hidden", cursor=cursor, limit=limit
        )


@fn.post(
    "/api/v1/admin/reviews/{review_id}/moderation",
    response_model=ReviewPublic,
    errors=(ReviewNotFound, ReviewModerationConflict),
)
def moderate(review_id: uuid.UUID, body: ReviewModeration, admin: Admin) -> ReviewPublic:
    """Hide (left out of the list and the rating) or restore; audited."""
    with unit_of_work() as session:
        return service.moderate(session, review_id, admin.user_id, body.action, body.reason)


app = fn.app()
handler = Mangum(app, lifespan="off")
