"""A hidden (moderated) event as the people registered to it see it: withdrawn, its text gone.

Its page, `.ics` and feeds answer 404; wherever else a person meets it (their registrations,
their data export, their activity, their notifications) they learn that it was withdrawn and
nothing of what it said. Its organizer still sees their own event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from shared.events.statuses import Moderation

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shared.events.models import Event

WITHDRAWN_TITLE = "Withdrawn event"


def is_withdrawn(event: Event, viewer_id: uuid.UUID | None) -> bool:
    return event.moderation == Moderation.hidden and event.organizer_id != viewer_id


def withdrawn_among(
    session: Session, event_ids: Iterable[uuid.UUID], viewer_id: uuid.UUID | None
) -> set[uuid.UUID]:
    """Which of these events the viewer must see as withdrawn (one query)."""
    # Here, not at the top: the title above is part of every event page, cached ones included.
    from sqlalchemy import select

    from shared.events.models import Event

    wanted = set(event_ids)
    if not wanted:
        return set()
    query = select(Event.id).where(Event.id.in_(wanted), Event.moderation == Moderation.hidden)
    if viewer_id is not None:
        query = query.where(Event.organizer_id != viewer_id)
    return set(session.scalars(query))
