"""The errors of taking, leaving and checking seats."""

from __future__ import annotations

from shared.errors import Conflict, NotFound


class EventNotOpen(Conflict):
    title = "Event not open for registration"
    slug = "event-not-open"


class NotRegistered(NotFound):
    title = "Not registered"
    slug = "not-registered"


class RegistrationNotFound(NotFound):
    title = "Registration not found"
    slug = "registration-not-found"


class CannotCheckIn(Conflict):
    title = "Cannot check in"
    slug = "cannot-check-in"
