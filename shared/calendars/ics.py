"""Events as iCalendar (RFC 5545), built with the `icalendar` library.

A calendar that imported an entry recognizes it again by its UID, and takes a higher
SEQUENCE as a newer version: so the UID is derived from the event id and the platform's
domain (never changes), and SEQUENCE is the event's `sequence` column, which grows with every
change to what the entry shows (`shared.organizing.changes`). Times carry the event's own TZID,
with a VTIMEZONE for it, so an entry stays right when the rules of a zone change.

`method`: None for files and feeds people subscribe to; `PUBLISH`, `REQUEST` (an invitation
mailed to someone who registered) or `CANCEL` (the entry is withdrawn: a cancelled event, or
a registration that ended) for iTIP messages (RFC 5546) attached to mails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from shared.config import get_settings
from shared.events.models import Event
from shared.events.statuses import EventStatus

Method = Literal["PUBLISH", "REQUEST", "CANCEL"]
PRODID = "-//Event Manager//Event Manager 1//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
STATUS = {
    EventStatus.published: "CONFIRMED",
    EventStatus.draft: "TENTATIVE",
    EventStatus.cancelled: "CANCELLED",
}


def platform_domain() -> str:
    return urlsplit(get_settings().public_url).hostname or "eventmanager.local"


def event_uid(event_id: object) -> str:
    """The same for an event forever, and unique across installations (their domains)."""
    return f"event-{event_id}@{platform_domain()}"


def event_url(event_id: object) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/v1/events/{event_id}"


def location_of(event: Event) -> str | None:
    if event.venue_name:
        return ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    return event.online_url


def event_calendar(
    event: Event, *, method: Method | None = None, attendee: str | None = None
) -> bytes:
    """One event as a whole .ics file; `attendee` (an email address) is named in invitations."""
    calendar = new_calendar(method)
    calendar.add_component(vevent(event, method=method, attendee=attendee))
    return finish(calendar, [event])


def feed_calendar(events: Sequence[Event], *, name: str) -> bytes:
    """Several events, for a subscription: clients refresh it about hourly."""
    calendar = new_calendar(None)
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for event in events:
        calendar.add_component(vevent(event))
    return finish(calendar, events)


def new_calendar(method: Method | None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def vevent(
    event: Event,
    *,
    uid: str | None = None,
    url: str | None = None,
    method: Method | None = None,
    attendee: str | None = None,
) -> icalendar.Event:
    """One event's VEVENT; a series gives its own `uid` and `url` (shared.series.ics)."""
    zone = _zone(event.timezone)
    component = icalendar.Event()
    component.add("uid", uid or event_uid(event.id))
    component.add("sequence", event.sequence)
    # Without a METHOD, DTSTAMP is when the entry was last revised (so an unchanged feed is
    # byte-identical); in an iTIP message it is when the message was made (RFC 5545 3.8.7.2).
    component.add("dtstamp", datetime.now(UTC) if method else _utc(event.updated_at))
    component.add("created", _utc(event.created_at))
    component.add("last-modified", _utc(event.updated_at))
    component.add("dtstart", event.starts_at.astimezone(zone))
    component.add("dtend", event.ends_at.astimezone(zone))
    component.add("summary", event.title)
    description = event.description
    if event.online_url:
        description = f"{description}\n\nOnline: {event.online_url}".strip()
    if description:
        component.add("description", description)
    location = location_of(event)
    if location:
        component.add("location", location)
    if event.venue_lat is not None and event.venue_lon is not None:
        component.add("geo", (event.venue_lat, event.venue_lon))
    component.add("url", url or event_url(event.id))
    component.add("categories", [event.category_slug])
    cancelled = method == "CANCEL" or event.status == EventStatus.cancelled
    component.add("status", "CANCELLED" if cancelled else STATUS[event.status])
    component.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if method in ("REQUEST", "CANCEL"):
        # iTIP wants an organizer; mail comes from the platform, so the platform it is.
        sender_name, sender = parseaddr(get_settings().mail_from)
        component.add(
            "organizer", f"mailto:{sender}", parameters={"CN": sender_name or "Event Manager"}
        )
        if attendee:
            component.add(
                "attendee",
                f"mailto:{attendee}",
                parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"},
            )
    return component


def finish(calendar: icalendar.Calendar, events: Sequence[Event]) -> bytes:
    if events:
        # A VTIMEZONE for each zone used, covering the years the events span.
        first = min(event.starts_at for event in events).year - 1
        last = max(event.ends_at for event in events).year + 1
        calendar.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last, 12, 31))
    return bytes(calendar.to_ical())


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
