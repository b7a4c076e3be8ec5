"""The ticket a seat's mail carries: its code and QR picture, signed when the mail is sent.

Which kinds carry one is the kinds table's `ticket` column. The registration is read as it is
then: a seat given up since its notice was made gets no ticket. The QR is an inline PNG the
HTML shows by `cid:` (what mail apps display; `data:` images are blocked by Gmail and Outlook),
and the code is in the text for mail read without pictures.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from shared.db import unit_of_work
from shared.mail import Attachment
from shared.notifications.kinds import KINDS
from shared.notifications.models import Notification
from shared.registrations import tickets
from shared.registrations.models import CONFIRMED_STATUSES, Registration

FILENAME = "ticket.png"


@dataclass(frozen=True)
class TicketPicture:
    code: str
    attachment: Attachment

    @property
    def cid(self) -> str:
        assert self.attachment.content_id is not None
        return self.attachment.content_id


def _registration_id(row: Notification) -> uuid.UUID | None:
    value = row.payload.get("registration_id") if KINDS[row.kind].ticket else None
    return uuid.UUID(str(value)) if value else None


def ticket_pictures(rows: list[Notification]) -> dict[uuid.UUID, TicketPicture]:
    """The tickets of a batch of mails, the registrations read in one query."""
    wanted = {row.id: rid for row in rows if row.kind in KINDS and (rid := _registration_id(row))}
    if not wanted:
        return {}
    with unit_of_work() as session:
        seats = {
            registration.id: registration
            for registration in session.scalars(
                select(Registration).where(
                    Registration.id.in_(set(wanted.values())),
                    Registration.status.in_(CONFIRMED_STATUSES),
                )
            )
        }
    pictures: dict[uuid.UUID, TicketPicture] = {}
    for row_id, registration_id in wanted.items():
        seat = seats.get(registration_id)
        if seat is None:
            continue
        code = tickets.code_for(seat.event_id, seat.id)
        picture = Attachment(
            FILENAME, tickets.qr_png(code), "image/png", content_id=f"ticket-{seat.id}@eventmanager"
        )
        pictures[row_id] = TicketPicture(code, picture)
    return pictures
