"""All SQL about registrations."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.registrations.models import Registration, RegistrationStatus


def active_for(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.cancelled,
        )
    )


def waitlist_position(session: Session, registration: Registration) -> int:
    """1 for the first person waiting; arrival order is the `queue_seq` identity."""
    ahead = session.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.waitlisted,
            Registration.queue_seq < registration.queue_seq,
        )
    )
    return int(ahead or 0) + 1
