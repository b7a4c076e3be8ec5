"""The series parts of the organizer's forms: the new-event form's "Repeats" fields as an
RFC 5545 rule, and the change-all-coming-dates form as the body of PATCH /series/{id}.

The rule is only assembled here; the API judges it (COUNT or UNTIL, at most 200 dates) and
its refusal is shown next to the fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from functions.web.organize_form import EventForm, event_body

FREQUENCIES = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY"}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ENDS = ("count", "until")
# What the change form sends on to every coming date.
CHANGED = ("title", "description", "capacity", "venue")


def rule_of(form: EventForm) -> tuple[str | None, list[str]]:
    """`FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=4` from the form, None when it does not
    repeat, and the names of the fields that cannot be read (not a number, not a date)."""
    frequency = FREQUENCIES.get(form.repeat)
    if frequency is None:
        return None, []
    wrong: list[str] = []
    parts = [f"FREQ={frequency}"]
    interval = _whole(form.repeat_interval)
    if interval is None:
        wrong.append("repeat_interval")
    elif interval != 1:
        parts.append(f"INTERVAL={interval}")
    days = [day for day in WEEKDAYS if day in form.repeat_days]
    if frequency == "WEEKLY" and days:  # none ticked: the first date's weekday (RFC 5545)
        parts.append("BYDAY=" + ",".join(days))
    if form.repeat_end == "until":
        until = form.repeat_until.strip().replace("-", "")
        if until:
            if len(until) == 8 and until.isdigit():
                parts.append(f"UNTIL={until}")
            else:
                wrong.append("repeat_until")
    elif form.repeat_count.strip():
        count = _whole(form.repeat_count)
        if count is None:
            wrong.append("repeat_count")
        else:
            parts.append(f"COUNT={count}")
    return ";".join(parts), wrong


class SeriesForm(BaseModel):
    """The change-all-coming-dates form, as the browser sends it."""

    title: str = ""
    description: str = ""
    capacity: str = ""
    venue_name: str = ""
    venue_address: str = ""
    venue_lat: str = ""
    venue_lon: str = ""
    publish: str = ""


def series_change(form: SeriesForm) -> tuple[dict[str, Any], list[str]]:
    """The PATCH body, read as the event form reads the same fields (one way to read them)."""
    as_event = EventForm(**form.model_dump(exclude={"publish"}))
    body, wrong = event_body(as_event)
    change = {name: body[name] for name in CHANGED}
    if form.publish == "on":
        change["status"] = "published"
    return change, [name for name in wrong if name not in ("starts_at", "ends_at")]


def series_form_of(series: dict[str, Any]) -> SeriesForm:
    """The form filled from the series: what its coming dates get unless changed alone."""
    venue = series.get("venue") or {}
    return SeriesForm(
        title=series.get("title") or "",
        description=series.get("description") or "",
        capacity="" if series.get("capacity") is None else str(series["capacity"]),
        venue_name=venue.get("name") or "",
        venue_address=venue.get("address") or "",
        venue_lat="" if venue.get("lat") is None else str(venue["lat"]),
        venue_lon="" if venue.get("lon") is None else str(venue["lon"]),
    )


def _whole(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None
