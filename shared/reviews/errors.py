"""The errors of reviews."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, NotFound


class NotCheckedIn(Forbidden):
    title = "Only people checked in at the event may review it"
    slug = "not-checked-in"


class ReviewExists(Conflict):
    """Carries `review_id`: the client edits that one instead."""

    title = "Already reviewed"
    slug = "review-exists"


class ReviewNotFound(NotFound):
    title = "Review not found"
    slug = "review-not-found"


class NotReviewAuthor(Forbidden):
    title = "Only its author may edit a review"
    slug = "not-review-author"


class ReplyExists(Conflict):
    title = "Already replied"
    slug = "reply-exists"


class NoReply(NotFound):
    title = "No reply to edit"
    slug = "reply-not-found"


class ReviewModerationConflict(Conflict):
    title = "Moderation action does not apply"
    slug = "review-moderation-conflict"
