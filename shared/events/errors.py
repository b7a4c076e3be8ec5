"""The errors of events: finding one, owning it, creating and changing it."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, NotFound


class EventNotFound(NotFound):
    title = "Event not found"
    slug = "event-not-found"


class EmailNotVerified(Forbidden):
    title = "Email not verified"
    slug = "email-not-verified"


class CategoryExists(Conflict):
    title = "Category exists"
    slug = "category-exists"


class NotEventOwner(Forbidden):
    title = "Not the event's organizer"
    slug = "not-event-owner"


class EventNotEditable(Conflict):
    title = "Event cannot be changed"
    slug = "event-not-editable"


class CapacityBelowConfirmed(Conflict):
    title = "Capacity below confirmed seats"
    slug = "capacity-below-confirmed"
