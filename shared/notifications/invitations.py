"""The calendar entry a notice mail carries, so calendars add it, move it or strike it out.

A confirmation or promotion carries an invitation (`METHOD:REQUEST`) naming its reader; a
change carries the updated invitation (same UID, higher SEQUENCE); a cancellation carries
`METHOD:CANCEL`. The entry is built when the mail is sent, from the event as it is then. A
deleted event has no row left, and its mail no entry.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from shared.calendars.ics import Method, event_calendar
from shared.db import unit_of_work
from shared.events.models import Event
from shared.mail import Attachment
from shared.notifications.models import Notification

METHODS: dict[str, Method] = {
    "registration_confirmed": "REQUEST",
    "registration_promoted": "REQUEST",
    "event_changed": "REQUEST",
    "event_cancelled": "CANCEL",
    # Removed by the organizer: the reader's calendar strikes out the invitation it had.
    "registration_removed": "CANCEL",
}
FILENAME = "event.ics"


def invitations(rows: list[Notification]) -> dict[uuid.UUID, tuple[Attachment, ...]]:
    """The attachments of a batch of mails, the events read in one query."""
    wanted = {row.id: METHODS[row.kind] for row in rows if row.kind in METHODS}
    event_ids = {uuid.UUID(str(row.payload["event_id"])) for row in rows if row.id in wanted}
    if not event_ids:
        return {}
    with unit_of_work() as session:
        events = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(event_ids)))}
    attached: dict[uuid.UUID, tuple[Attachment, ...]] = {}
    for row in rows:
        if row.id not in wanted:
            continue
        event = events.get(uuid.UUID(str(row.payload["event_id"])))
        if event is not None:
            content = event_calendar(event, method=wanted[row.id], attendee=row.recipient)
            attached[row.id] = (Attachment(FILENAME, content, "text/calendar"),)
    return attached
