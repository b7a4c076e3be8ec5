"""The calendar entry a notice mail carries, so calendars add it, move it or strike it out.

Which kinds carry one, and with which method, is the kinds table's `calendar` column
(`REQUEST` for an invitation naming its reader, `CANCEL` to strike it out). The entry is built
when the mail is sent, from the event as it is then.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from shared.calendars.ics import Method, event_calendar
from shared.db import unit_of_work
from shared.events.models import Event
from shared.mail import Attachment
from shared.notifications.kinds import KINDS
from shared.notifications.models import Notification

METHODS: dict[str, Method] = {name: kind.calendar for name, kind in KINDS.items() if kind.calendar}
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
