"""The event form of the organizer's pages: what it posts, turned into the API's event body,
and an event turned back into the form's values. It works without JavaScript, so the
registration questions are rows of plain fields (a few empty ones to add new questions)."""

from __future__ import annotations

import contextlib
import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

KINDS = ("text", "choice", "multi", "checkbox")
WAITLIST_MODES = ("auto", "offer")
# Empty question rows under the event's own, for new questions (save to get more).
SPARE_QUESTIONS = 2
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class EventForm(BaseModel):
    """Every field as the browser sends it: text, checked here or by the API, so a wrong
    value comes back as the form with a sentence, never as a 422 document."""

    title: str = ""
    description: str = ""
    starts_at: str = ""
    ends_at: str = ""
    timezone: str = "UTC"
    category: str = ""
    tags: str = ""
    venue_name: str = ""
    venue_address: str = ""
    venue_lat: str = ""
    venue_lon: str = ""
    online_url: str = ""
    capacity: str = ""
    waitlist_mode: str = "auto"
    offer_hours: str = "24"
    auto_before_start_hours: str = "24"
    # One entry per question row, in the rows' order; `q_required` holds the checked rows'
    # numbers, since a browser sends nothing for an unchecked box.
    q_id: list[str] = []
    q_label: list[str] = []
    q_kind: list[str] = []
    q_options: list[str] = []
    q_show_if: list[str] = []
    q_equals: list[str] = []
    q_required: list[str] = []
    # "Repeats" (new events only): left at "" the form makes one event, else a series
    # (series_form.py turns these into its RFC 5545 rule).
    repeat: str = ""
    repeat_interval: str = "1"
    repeat_days: list[str] = []
    repeat_end: str = "count"
    repeat_count: str = ""
    repeat_until: str = ""


def event_body(form: EventForm) -> tuple[dict[str, Any], list[str]]:
    """The API's event fields from the form, and the names of the fields that cannot be
    read at all (a number that is not one); the API judges everything else."""
    wrong: list[str] = []
    body: dict[str, Any] = {
        "title": form.title.strip(),
        "description": form.description.strip(),
        "starts_at": _instant(form.starts_at, form.timezone),
        "ends_at": _instant(form.ends_at, form.timezone),
        "timezone": form.timezone.strip(),
        "category": form.category,
        "tags": [tag.strip() for tag in form.tags.split(",") if tag.strip()],
        "online_url": form.online_url.strip() or None,
        "capacity": _number(form.capacity, "capacity", wrong),
        "venue": None,
        "waitlist": {
            key: value
            for key, value in {
                "mode": form.waitlist_mode,
                "offer_hours": _number(form.offer_hours, "offer_hours", wrong),
                "auto_before_start_hours": _number(
                    form.auto_before_start_hours, "auto_before_start_hours", wrong
                ),
            }.items()
            if value is not None  # left empty: the API's default
        },
        "questions": _questions(form),
    }
    if form.venue_name.strip() or form.venue_address.strip():
        body["venue"] = {
            "name": form.venue_name.strip(),
            "address": form.venue_address.strip(),
            "lat": _decimal(form.venue_lat, "venue_lat", wrong),
            "lon": _decimal(form.venue_lon, "venue_lon", wrong),
        }
    for field in ("starts_at", "ends_at"):
        if body[field] is None:
            wrong.append(field)
    return body, wrong


def form_of(event: dict[str, Any]) -> EventForm:
    """An event's values in the form, times in the event's own zone."""
    venue = event.get("venue") or {}
    waitlist = event.get("waitlist") or {}
    questions = event.get("questions") or []
    zone = event.get("timezone") or "UTC"
    return EventForm(
        title=event.get("title") or "",
        description=event.get("description") or "",
        starts_at=_local_input(event.get("starts_at"), zone),
        ends_at=_local_input(event.get("ends_at"), zone),
        timezone=zone,
        category=event.get("category") or "",
        tags=", ".join(event.get("tags") or []),
        venue_name=venue.get("name") or "",
        venue_address=venue.get("address") or "",
        venue_lat=_text(venue.get("lat")),
        venue_lon=_text(venue.get("lon")),
        online_url=event.get("online_url") or "",
        capacity=_text(event.get("capacity")),
        waitlist_mode=waitlist.get("mode") or "auto",
        offer_hours=_text(waitlist.get("offer_hours", 24)),
        auto_before_start_hours=_text(waitlist.get("auto_before_start_hours", 24)),
        q_id=[q["id"] for q in questions],
        q_label=[q["label"] for q in questions],
        q_kind=[q["kind"] for q in questions],
        q_options=["\n".join(q.get("options") or []) for q in questions],
        q_show_if=[(q.get("show_if") or {}).get("question_id", "") for q in questions],
        q_equals=[_text((q.get("show_if") or {}).get("equals")) for q in questions],
        q_required=[str(n) for n, q in enumerate(questions) if q.get("required")],
    )


def question_rows(form: EventForm) -> list[dict[str, Any]]:
    """The rows the form shows: the questions it holds, then empty ones to add more."""
    count = len(form.q_id) + SPARE_QUESTIONS
    return [
        {
            "n": n,
            "id": _at(form.q_id, n),
            "label": _at(form.q_label, n),
            "kind": _at(form.q_kind, n) or "text",
            "options": _at(form.q_options, n),
            "show_if": _at(form.q_show_if, n),
            "equals": _at(form.q_equals, n),
            "required": str(n) in form.q_required,
        }
        for n in range(count)
    ]


def _questions(form: EventForm) -> list[dict[str, Any]]:
    questions = []
    for row in question_rows(form):
        if not (row["id"].strip() or row["label"].strip()):
            continue  # an empty row: nothing asked
        question: dict[str, Any] = {
            "id": row["id"].strip(),
            "label": row["label"].strip(),
            "kind": row["kind"],
            "required": row["required"],
        }
        options = [line.strip() for line in row["options"].splitlines() if line.strip()]
        if options:
            question["options"] = options
        if row["show_if"].strip():
            equals: str | bool = row["equals"].strip()
            if equals in ("true", "false"):  # the answer of a checkbox question
                equals = equals == "true"
            question["show_if"] = {"question_id": row["show_if"].strip(), "equals": equals}
        questions.append(question)
    return questions


def _instant(value: str, zone: str) -> str | None:
    """`2031-05-01T18:00` on the clocks of `zone` as RFC 3339 with its offset there. An
    unknown zone keeps UTC here: the API refuses the zone itself, by its name."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=_zone(zone.strip()) or ZoneInfo("UTC")).isoformat()


def _local_input(value: str | None, zone: str) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    tz = _zone(zone)
    return (moment.astimezone(tz) if tz else moment).strftime(LOCAL_INPUT)


def _zone(name: str) -> ZoneInfo | None:
    # Whatever was typed: a name that is no zone may be a path, too long a file name, or
    # hold a NUL, and each fails differently.
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(name)
    return None


def _number(value: str, field: str, wrong: list[str]) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        wrong.append(field)
        return None


def _decimal(value: str, field: str, wrong: list[str]) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        number = math.inf
    if not math.isfinite(number):  # "nan", "1e309": no coordinate, and not JSON either
        wrong.append(field)
        return None
    return number


def _text(value: Any) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _at(values: list[str], n: int) -> str:
    return values[n] if n < len(values) else ""
