"""The .ics a mail attaches (the notifications import `event_calendar`): an invitation for
someone registered, and a cancellation that removes the entry it replaced."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import icalendar
import vobject

from shared.calendars.ics import event_calendar
from shared.events.models import Event
from shared.events.statuses import EventStatus


def an_event(**changes) -> Event:
    fields = {
        "id": uuid.uuid4(),
        "title": "Онлайн-воркшоп; часть 1",
        "description": "",
        "starts_at": datetime(2040, 3, 1, 9, tzinfo=UTC),
        "ends_at": datetime(2040, 3, 1, 11, tzinfo=UTC),
        "timezone": "America/New_York",
        "category_slug": "workshop",
        "venue_name": None,
        "venue_address": None,
        "venue_lat": None,
        "venue_lon": None,
        "online_url": "https://meet.example.org/w1",
        "status": EventStatus.published,
        "sequence": 3,
        "created_at": datetime(2030, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2030, 1, 2, tzinfo=UTC),
    }
    return Event(**{**fields, **changes})


def test_invitation_and_cancellation_for_a_mail():
    event = an_event()
    invitation = vobject.readOne(
        event_calendar(event, method="REQUEST", attendee="ann@example.org").decode()
    )
    assert invitation.method.value == "REQUEST"
    entry = invitation.vevent
    assert entry.summary.value == "Онлайн-воркшоп; часть 1"
    assert entry.location.value == "https://meet.example.org/w1"
    assert entry.organizer.value == "mailto:no-reply@eventmanager.local"
    assert entry.attendee.value == "mailto:ann@example.org"
    assert entry.sequence.value == "3"
    # Past 2038 the zone's rules still come along (a VTIMEZONE built for these years).
    assert entry.dtstart.value.utcoffset().total_seconds() == -5 * 3600

    cancel = event_calendar(event, method="CANCEL", attendee="ann@example.org")
    [withdrawn] = icalendar.Calendar.from_ical(cancel).walk("VEVENT")
    assert icalendar.Calendar.from_ical(cancel)["METHOD"] == "CANCEL"
    assert str(withdrawn["STATUS"]) == "CANCELLED"
    assert str(withdrawn["UID"]) == entry.uid.value


def test_without_a_method_the_file_is_the_same_every_time():
    event = an_event(status=EventStatus.cancelled)
    first = event_calendar(event)
    assert first == event_calendar(event)  # DTSTAMP is the last revision, not "now"
    assert b"METHOD" not in first
    assert b"STATUS:CANCELLED" in first
