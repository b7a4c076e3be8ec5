"""Checking people in: by registration (the participant list), by ticket code (a scanner
online), and in batches a door device queued offline, from the snapshot it took before.

`admit` is the one way anyone is checked in: confirmed → checked in, `registration.checked_in`
emitted with it, once. Only registration rows are locked (never the event's): doors scanning
in parallel do not wait on people joining, and a batch locks its rows in id order, so two
devices syncing overlapping batches cannot deadlock; whichever commits first checks a ticket in,
the other is told "already".
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.catalog import RegistrationCheckedIn
from shared.events.models import Event
from shared.events.service import owned_event
from shared.events.statuses import EventStatus
from shared.outbox.writer import emit
from shared.registrations import tickets
from shared.registrations.errors import (
    AlreadyCheckedIn,
    CannotCheckIn,
    InvalidTicket,
    RegistrationNotFound,
)
from shared.registrations.models import Registration, RegistrationStatus
from shared.registrations.participants import Participant, locked_registration
from shared.registrations.schemas import answers_of
from shared.teams.rights import EventRight
from shared.users.models import User

# Scans one batch may carry: a door device syncs often; a bigger backlog goes in several.
MAX_BATCH = 500
# The longest a code may be in a request (a code is 46 characters; room for a scanner's noise).
MAX_CODE_LENGTH = 100


def admit(session: Session, event: Event, registration: Registration, at: datetime) -> bool:
    """Check a confirmed registration in at `at` (locked by the caller). False: it was already
    checked in, nothing changed. CannotCheckIn: waitlisted, cancelled, or the event is."""
    if registration.status == RegistrationStatus.checked_in:
        return False
    if event.status == EventStatus.cancelled:
        raise CannotCheckIn("The event is cancelled.")
    if registration.status != RegistrationStatus.confirmed:
        raise CannotCheckIn(
            f"Only confirmed registrations can be checked in; this one is "
            f"{registration.status.value}."
        )
    registration.status = RegistrationStatus.checked_in
    registration.checked_in_at = at
    emit(
        session,
        RegistrationCheckedIn(
            registration_id=registration.id, event_id=event.id, user_id=registration.user_id
        ),
    )
    session.flush()
    return True


def _participant(session: Session, registration: Registration) -> Participant:
    person = session.get(User, registration.user_id)
    assert person is not None, "a registration's person exists (foreign key)"
    return Participant(
        id=registration.id,
        event_id=registration.event_id,
        user_id=registration.user_id,
        status=registration.status.value,
        full_name=person.full_name,
        email=person.email,
        created_at=registration.created_at,
        checked_in_at=registration.checked_in_at,
        answers=answers_of(registration.answers),
    )


def check_in(
    session: Session,
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
) -> Participant:
    """From the participant list: checking in twice answers the same."""
    event = owned_event(
        session, event_id, actor_id, actor_is_admin, right=EventRight.check_in, lock=False
    )
    registration = locked_registration(session, event_id, registration_id)
    admit(session, event, registration, datetime.now(UTC))
    return _participant(session, registration)


def check_in_by_code(
    session: Session, event_id: uuid.UUID, code: str, actor_id: uuid.UUID, actor_is_admin: bool
) -> Participant:
    """A ticket scanned online: checked in, or why not (409 already, with when)."""
    event = owned_event(
        session, event_id, actor_id, actor_is_admin, right=EventRight.check_in, lock=False
    )
    try:
        registration_id = tickets.registration_of(event_id, code)
        registration = locked_registration(session, event_id, registration_id)
    except (tickets.InvalidCode, RegistrationNotFound):
        raise InvalidTicket("This is not a ticket of this event.") from None
    if not admit(session, event, registration, datetime.now(UTC)):
        when = registration.checked_in_at
        raise AlreadyCheckedIn(
            "This ticket was checked in already.",
            checked_in_at=when.isoformat() if when else None,
        )
    return _participant(session, registration)


class SnapshotEntry(BaseModel):
    code_hash: str = Field(description="SHA-256 (hex) of the ticket code's text, upper case")
    name: str
    status: RegistrationStatus
    checked_in_at: datetime | None


class Snapshot(BaseModel):
    taken_at: datetime
    entries: list[SnapshotEntry]


def snapshot(
    session: Session, event_id: uuid.UUID, actor_id: uuid.UUID, actor_is_admin: bool
) -> Snapshot:
    """Every registration of the event (cancelled ones too, so the door can say why), once per
    ticket key still accepted; hashes only, never a code."""
    owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.check_in, lock=False)
    taken_at = datetime.now(UTC)
    rows = session.execute(
        select(Registration, User.full_name)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event_id)
        .order_by(Registration.queue_seq)
    )
    entries = [
        SnapshotEntry(
            code_hash=tickets.code_hash(code),
            name=name,
            status=registration.status,
            checked_in_at=registration.checked_in_at,
        )
        for registration, name in rows
        for code in tickets.every_code_for(event_id, registration.id)
    ]
    return Snapshot(taken_at=taken_at, entries=entries)


class Scan(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=MAX_CODE_LENGTH)]
    scanned_at: AwareDatetime = Field(
        description="When the device scanned it (with its offset); kept as the check-in time, "
        "bounded to the registration's creation at the earliest and to now at the latest"
    )


class Scans(BaseModel):
    scans: Annotated[list[Scan], Field(min_length=1, max_length=MAX_BATCH)]


class ScanResult(BaseModel):
    code: str
    outcome: Literal["checked_in", "already", "invalid"]
    # When the registration was checked in (this scan's time or an earlier one's).
    checked_in_at: datetime | None = None


class ScanResults(BaseModel):
    results: list[ScanResult]


def _scan_time(scanned_at: datetime, registration: Registration, now: datetime) -> datetime:
    """The device's clock, trusted within bounds: never later than now (a clock ahead), never
    before the registration existed (a clock reset)."""
    return max(min(scanned_at, now), registration.created_at)


def check_in_batch(
    session: Session,
    event_id: uuid.UUID,
    scans: list[Scan],
    actor_id: uuid.UUID,
    actor_is_admin: bool,
) -> ScanResults:
    """Scans in the order given; a replayed batch changes nothing (each is "already")."""
    event = owned_event(
        session, event_id, actor_id, actor_is_admin, right=EventRight.check_in, lock=False
    )
    now = datetime.now(UTC)
    named: list[uuid.UUID | None] = []
    for scan in scans:
        try:
            named.append(tickets.registration_of(event_id, scan.code))
        except tickets.InvalidCode:
            named.append(None)
    wanted = sorted({registration_id for registration_id in named if registration_id})
    found = {
        registration.id: registration
        for registration in session.scalars(
            select(Registration)
            .where(Registration.id.in_(wanted), Registration.event_id == event_id)
            .order_by(Registration.id)
            .with_for_update()
        )
    }
    results = []
    for scan, registration_id in zip(scans, named, strict=True):
        registration = found.get(registration_id) if registration_id else None
        if registration is None:
            results.append(ScanResult(code=scan.code, outcome="invalid"))
            continue
        try:
            admitted = admit(
                session, event, registration, _scan_time(scan.scanned_at, registration, now)
            )
        except CannotCheckIn:
            results.append(ScanResult(code=scan.code, outcome="invalid"))
            continue
        results.append(
            ScanResult(
                code=scan.code,
                outcome="checked_in" if admitted else "already",
                checked_in_at=registration.checked_in_at,
            )
        )
    return ScanResults(results=results)
