"""The states of an event, apart from its model: a route's parameters and the cached read path
name them without loading SQLAlchemy."""

from enum import StrEnum


class EventStatus(StrEnum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class Moderation(StrEnum):
    approved = "approved"
    pending = "pending"
    hidden = "hidden"


class WaitlistMode(StrEnum):
    # A freed seat goes to the first person waiting at once.
    auto = "auto"
    # A freed seat is offered to the first person waiting and held for `offer_hours`.
    offer = "offer"
