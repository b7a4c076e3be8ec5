"""An organizers' announcement told to everyone registered for the event, by their settings.

The consumer's transaction holds every notification and the record that this CloudEvent was
handled, so a redelivery tells nobody twice. A big audience is written a page at a time
(`mail_batch_size` people per INSERT, as reminders are), each page one statement.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.catalog import AnnouncementPosted
from shared.config import get_settings
from shared.events.models import Event
from shared.events.statuses import EventStatus
from shared.notifications import kinds
from shared.notifications.preferences import reach_of
from shared.notifications.schemas import AnnouncementNotice
from shared.notifications.service import Addressee, notify_many
from shared.registrations.models import Registration, RegistrationStatus
from shared.users.models import User


def announce(session: Session, posted: AnnouncementPosted) -> int:
    """Answers how many people were told."""
    event = session.get(Event, posted.event_id)
    if event is None or event.status == EventStatus.draft:
        return 0  # gone, or nobody could have registered
    told, after = 0, None
    while True:
        page = _page(session, posted.event_id, after)
        if not page:
            return told
        reach = reach_of(session, [user_id for _, user_id, *_ in page])
        notices = [
            (
                Addressee(user_id, email, locale, reach[user_id].email, reach[user_id].push),
                AnnouncementNotice(
                    event_id=event.id,
                    title=event.title,
                    starts_at=event.starts_at.isoformat(),
                    reader_timezone=timezone,
                    message_id=posted.message_id,
                    announcement=posted.title,
                    text=posted.text,
                ),
            )
            for _, user_id, email, locale, timezone in page
        ]
        told += len(notify_many(session, kinds.EVENT_ANNOUNCEMENT, notices))
        after = page[-1][0]


def _page(
    session: Session, event_id: uuid.UUID, after: uuid.UUID | None
) -> list[tuple[uuid.UUID, uuid.UUID, str, str, str]]:
    """The next active registrants (registration id, person), in registration id order."""
    query = (
        select(Registration.id, User.id, User.email, User.locale, User.timezone)
        .join(User, User.id == Registration.user_id)
        .where(
            Registration.event_id == event_id,
            Registration.status != RegistrationStatus.cancelled,
            User.is_active.is_(True),
        )
        .order_by(Registration.id)
        .limit(get_settings().mail_batch_size)
    )
    if after is not None:
        query = query.where(Registration.id > after)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
