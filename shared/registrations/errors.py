"""The errors of taking, leaving and checking seats."""

from __future__ import annotations

from shared.errors import Conflict, DomainError, NotFound


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


class AlreadyCheckedIn(Conflict):
    """Checking in by ticket twice: the door is told when the first check-in was
    (`checked_in_at` in the problem document)."""

    title = "Already checked in"
    slug = "already-checked-in"


class InvalidTicket(DomainError):
    """A ticket code that is malformed, forged, of another event or of a retired key."""

    status = 422
    title = "Invalid ticket"
    slug = "invalid-ticket"


class NoTicket(Conflict):
    """Only a seat has a ticket: not a waitlisted or cancelled registration."""

    title = "No ticket"
    slug = "no-ticket"


class NoOffer(Conflict):
    """Claiming without a seat offered: never offered, already claimed, or given up."""

    title = "No offer to claim"
    slug = "no-offer"


class OfferExpired(Conflict):
    """The offer's time ran out; the seat goes (or went) to the next person waiting."""

    title = "Offer expired"
    slug = "offer-expired"
