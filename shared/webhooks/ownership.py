"""Whose CloudEvent is it? A webhook receives only CloudEvents its owner owns."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.catalog import AboutReport, AboutUser, CloudEventData, EventDeleted
from shared.events.models import Event


def owner_of(session: Session, data: CloudEventData) -> uuid.UUID | None:
    """The organizer of the event it is about (read now: the event's owner, not who owned it
    when the CloudEvent was written), the requester of a report, the person of an account
    CloudEvent; None when nobody is (an event deleted since)."""
    if isinstance(data, EventDeleted):
        return data.organizer_id  # the event row is gone; the CloudEvent says whose it was
    event_id = getattr(data, "event_id", None)
    if isinstance(event_id, uuid.UUID):
        return session.scalar(select(Event.organizer_id).where(Event.id == event_id))
    if isinstance(data, AboutReport):
        return data.requester_id
    if isinstance(data, AboutUser):
        return data.user_id
    return None
