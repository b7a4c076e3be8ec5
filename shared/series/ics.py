"""A series as one VEVENT with its RRULE (RFC 5545 3.8.5), as calendar apps keep series.

The master VEVENT shows the series' template at the rule's dates; a date whose event was
cancelled or deleted is an EXDATE, and a date whose event differs from the template (moved,
retitled, published alone, or left behind by a change to the coming dates) is an override:
a VEVENT with the same UID and the RECURRENCE-ID of the date the rule made. Nothing here is
stored: it is derived from the events each time, so the file always says what they say.
The UID comes from the series id and never changes; times carry the series' TZID, with a
VTIMEZONE for it.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from shared.calendars.ics import finish, location_of, new_calendar, platform_domain, vevent
from shared.config import get_settings
from shared.events.models import Event
from shared.events.series_models import Series, SeriesOccurrence
from shared.events.statuses import EventStatus


def series_uid(series_id: object) -> str:
    return f"series-{series_id}@{platform_domain()}"


def series_url(series_id: object) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/v1/series/{series_id}"


def series_calendar(series: Series, dates: list[tuple[SeriesOccurrence, Event | None]]) -> bytes:
    zone = ZoneInfo(series.timezone)
    template = _template_event(series)
    uid = series_uid(series.id)
    master = vevent(template, uid=uid, url=series_url(series.id))
    master.add("rrule", icalendar.vRecur.from_ical(series.rrule))
    excluded = [
        date.recurrence_id.astimezone(zone)
        for date, event in dates
        if event is None or event.status == EventStatus.cancelled
    ]
    if excluded:
        master.add("exdate", excluded)
    calendar = new_calendar(None)
    calendar.add_component(master)
    # Wall-clock length, as the rule's expansion adds it (DTEND - DTSTART in one zone).
    length = template.ends_at.astimezone(zone) - template.starts_at.astimezone(zone)
    shown = [template]
    for date, event in dates:
        if event is None or event.status == EventStatus.cancelled:
            continue
        start = date.recurrence_id.astimezone(zone)
        if _shows(event) == _shows(template) and (event.starts_at, event.ends_at) == (
            start,
            start + length,
        ):
            continue
        override = vevent(event, uid=uid)
        override.add("recurrence-id", start)
        calendar.add_component(override)
        shown.append(event)
    return finish(calendar, shown)


def _shows(event: Event) -> tuple[Any, ...]:
    """What an entry shows besides its times (calendars.ics.vevent)."""
    return (
        event.title,
        event.description,
        location_of(event),
        event.online_url,
        event.venue_lat,
        event.venue_lon,
        event.category_slug,
        event.status,
        event.timezone,
    )


def _template_event(series: Series) -> Event:
    """The series' template as an (unsaved) event at the rule's first date."""
    fields = series.fields
    venue = fields.get("venue") or {}
    return Event(
        title=fields["title"],
        description=fields["description"],
        starts_at=series.starts_at,
        ends_at=series.ends_at,
        timezone=series.timezone,
        category_slug=fields["category"],
        venue_name=venue.get("name"),
        venue_address=venue.get("address"),
        venue_lat=venue.get("lat"),
        venue_lon=venue.get("lon"),
        online_url=fields.get("online_url"),
        status=EventStatus(fields.get("status", "draft")),
        sequence=series.sequence,
        created_at=series.created_at,
        updated_at=series.updated_at,
    )
