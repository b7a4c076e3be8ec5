"""A Google Calendar template link: opens Google Calendar with the event filled in."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from shared.calendars.ics import event_url, location_of
from shared.events.models import Event

TEMPLATE = "https://calendar.google.com/calendar/render"
# Links much longer than this are cut by browsers and mail clients.
MAX_DETAILS = 1500


def google_calendar_link(event: Event) -> str:
    details = event.description
    if len(details) > MAX_DETAILS:
        details = details[: MAX_DETAILS - 1].rstrip() + "…"
    details = f"{details}\n\n{event_url(event.id)}".strip()
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_utc(event.starts_at)}/{_utc(event.ends_at)}",
        "details": details,
        "ctz": event.timezone,
    }
    location = location_of(event)
    if location:
        query["location"] = location
    return f"{TEMPLATE}?{urlencode(query)}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
