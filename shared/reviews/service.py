"""The rules of reviews. Services never commit: the handler's unit of work does, with the
CloudEvents they emit.

Only a person checked in at the event may review it: a check-in happens at the door, so it
also proves the event has started, and no separate time rule is needed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session

from shared.audit.service import record
from shared.catalog import ReviewCreated, ReviewHidden, ReviewReplied, ReviewRestored, ReviewUpdated
from shared.events import invalidation
from shared.events.schemas import Rating
from shared.events.service import owned_event, visible_event
from shared.outbox.writer import emit
from shared.pagination import cursor_at, time_and_id
from shared.reviews import repository
from shared.reviews.errors import (
    NoReply,
    NotCheckedIn,
    NotReviewAuthor,
    ReplyExists,
    ReviewExists,
    ReviewModerationConflict,
    ReviewNotFound,
)
from shared.reviews.models import Review
from shared.reviews.schemas import (
    ModeratedReview,
    ModeratedReviewPage,
    ReviewPage,
    ReviewPublic,
)
from shared.teams.rights import EventRight

Action = Literal["hide", "restore"]


def write(
    session: Session,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    is_admin: bool,
    rating: int,
    text: str | None,
) -> ReviewPublic:
    visible_event(session, event_id, user_id, is_admin)
    if not repository.checked_in(session, event_id, user_id):
        raise NotCheckedIn("Only people checked in at the event may review it.")
    review_id = repository.insert_once(session, event_id, user_id, rating, text)
    if review_id is None:
        existing = repository.id_of(session, event_id, user_id)
        raise ReviewExists(
            "You reviewed this event already; edit that review instead.", review_id=str(existing)
        )
    emit(
        session,
        ReviewCreated(review_id=review_id, event_id=event_id, user_id=user_id, rating=rating),
    )
    return _public(session, _review(session, event_id, review_id))


def edit(
    session: Session,
    event_id: uuid.UUID,
    review_id: uuid.UUID,
    user_id: uuid.UUID,
    changes: dict[str, object],
) -> ReviewPublic:
    review = _review(session, event_id, review_id, for_update=True)
    if review.user_id != user_id:
        raise NotReviewAuthor("Only its author may edit a review.")
    if any(getattr(review, field) != value for field, value in changes.items()):
        for field, value in changes.items():
            setattr(review, field, value)
        session.flush()
        emit(
            session,
            ReviewUpdated(
                review_id=review.id, event_id=event_id, user_id=user_id, rating=review.rating
            ),
        )
    session.refresh(review)
    return _public(session, review)


def page(
    session: Session,
    event_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    viewer_is_admin: bool,
    *,
    cursor: str | None,
    limit: int,
) -> ReviewPage:
    """Newest first; hidden reviews are left out for everyone (the audit log names them)."""
    visible_event(session, event_id, viewer_id, viewer_is_admin)
    after = time_and_id(cursor) if cursor else None
    rows = repository.listed(session, event_id, after, limit + 1)
    shown = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = shown[-1][0]
        next_cursor = cursor_at(last.created_at, last.id)
    return ReviewPage(
        items=[ReviewPublic.of(review, name) for review, name in shown], next_cursor=next_cursor
    )


def moderation_page(
    session: Session, *, hidden: bool, cursor: str | None, limit: int
) -> ModeratedReviewPage:
    """Every event's reviews for the admins, newest first: the visible ones (to hide) or the
    hidden ones (to restore); the event's own list never shows hidden ones."""
    after = time_and_id(cursor) if cursor else None
    rows = repository.moderation_listed(session, hidden, after, limit + 1)
    shown = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = shown[-1][0]
        next_cursor = cursor_at(last.created_at, last.id)
    items = [
        ModeratedReview(
            **ReviewPublic.of(review, name).model_dump(),
            event_title=title,
            hidden_at=review.hidden_at,
        )
        for review, name, title in shown
    ]
    return ModeratedReviewPage(items=items, next_cursor=next_cursor)


def reply(
    session: Session,
    event_id: uuid.UUID,
    review_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
    text: str,
    *,
    first: bool,
) -> ReviewPublic:
    """The organizer's one reply (`first`), or an edit of it."""
    owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.manage, lock=False)
    review = _review(session, event_id, review_id, for_update=True)
    if review.hidden_at is not None:
        raise ReviewNotFound(f"No review {review_id}.")
    now = datetime.now(UTC)
    if first:
        if review.reply_text is not None:
            raise ReplyExists("This review has its reply already; edit it instead.")
        review.replied_at = now
        emit(
            session,
            ReviewReplied(
                review_id=review.id,
                event_id=event_id,
                user_id=review.user_id,
                by_user_id=actor_id,
            ),
        )
    elif review.reply_text is None:
        raise NoReply("This review has no reply yet.")
    review.reply_text, review.reply_by, review.reply_updated_at = text, actor_id, now
    session.flush()
    return _public(session, review)


def moderate(
    session: Session, review_id: uuid.UUID, admin_id: uuid.UUID, action: Action, reason: str | None
) -> ReviewPublic:
    """Hide or restore, audited in the same transaction. Hiding a hidden review changes
    nothing (a repeated click); restoring a visible one is a conflict."""
    review = repository.get(session, review_id, for_update=True)
    if review is None:
        raise ReviewNotFound(f"No review {review_id}.")
    was_hidden = review.hidden_at is not None
    about = {"review_id": review.id, "event_id": review.event_id, "user_id": review.user_id}
    if action == "hide":
        if was_hidden:
            return _public(session, review)
        review.hidden_at, review.hidden_by = datetime.now(UTC), admin_id
        emit(session, ReviewHidden(**about, by_user_id=admin_id, reason=reason))
    else:
        if not was_hidden:
            raise ReviewModerationConflict("Only a hidden review can be restored.")
        review.hidden_at, review.hidden_by = None, None
        emit(session, ReviewRestored(**about, by_user_id=admin_id, reason=reason))
    record(session, admin_id, f"review.{action}", "review", review.id, reason=reason)
    session.flush()
    return _public(session, review)


def refresh_rating(session: Session, event_id: uuid.UUID) -> None:
    """Recount the event's rating from its rows (the consumer of every review CloudEvent).

    Idempotent and order-free: it never adds what a CloudEvent says, it recounts. The event's
    row lock is taken first, so of two concurrent refreshes the later one counts what the
    earlier committed; every review change is followed by its own refresh, so once the
    CloudEvents are delivered the rating equals the rows.
    """
    if not repository.lock_event(session, event_id):
        return
    repository.recount_rating(session, event_id)
    invalidation.note_listed_changed(session, event_id)


def organizer_rating(session: Session, organizer_id: uuid.UUID) -> Rating:
    """The organizer's rating over every event of theirs, for the organizer profile: each
    review weighs the same, whichever event it is about."""
    return Rating.of(*repository.organizer_totals(session, organizer_id))


def _review(
    session: Session, event_id: uuid.UUID, review_id: uuid.UUID, *, for_update: bool = False
) -> Review:
    review = repository.get(session, review_id, for_update=for_update)
    if review is None or review.event_id != event_id:
        raise ReviewNotFound(f"No review {review_id} of event {event_id}.")
    return review


def _public(session: Session, review: Review) -> ReviewPublic:
    return ReviewPublic.of(review, repository.author_name(session, review.user_id))
