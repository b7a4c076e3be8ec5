"""Importing an .ics file into draft events.

Each VEVENT becomes a draft through the same `create_event` as the API (same validation,
same `event.created`). Importing a file again recognizes what an earlier import of the same
organizer made from an entry (its UID, and for a date of a series its RECURRENCE-ID): a draft
nobody touched since is updated through the same `update_event` as PATCH /events/{id}; one
published, cancelled or changed in any way since the import (an edit, a moderation) is left as
it is and `skipped`. An entry whose draft was deleted is made again.

Recurring series (RRULE/RDATE, with their moved or cancelled occurrences) are expanded into
separate drafts (each recognized by its RECURRENCE-ID): the occurrences that have not ended yet, at
most CALENDAR_IMPORT_MAX_OCCURRENCES of them. What cannot become an event is skipped with a
reason; a file that is no calendar, or holds too many events, is refused whole (422) and
nothing is created.

Times: a TZID that names an IANA zone becomes the event's zone. UTC, floating and custom-zone
times keep their instant and take the calendar's zone (X-WR-TIMEZONE), else the importer's
profile zone. All-day entries start at 00:00 of their first day and end at 00:00 after their
last day, in that same zone. An entry without an end lasts an hour (a day when all-day).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from pydantic import ValidationError
from sqlalchemy.orm import Session

from shared.calendars import repository as rows
from shared.calendars.errors import InvalidCalendar
from shared.calendars.expansion import (
    SERIES_PERIODS,
    ExpansionTooCostly,
    PeriodBudget,
    occurrences,
    refusal,
)
from shared.calendars.schemas import ImportResult, SkippedEntry
from shared.config import get_settings
from shared.errors import InvalidInput
from shared.events import repository as event_rows
from shared.events.errors import EmailNotVerified
from shared.events.filters import normalize_tag
from shared.events.models import Event
from shared.events.schemas import EventCreate, EventUpdate
from shared.events.service import create_event
from shared.events.statuses import EventStatus
from shared.organizing.changes import update_event
from shared.ratelimit import limit
from shared.users import repository as users
from shared.validation import iana_zones

# Expanding a series walks every occurrence from its start: one that began longer ago than
# this would make a tiny file cost minutes of CPU, so it is skipped with that reason.
OLDEST_SERIES = timedelta(days=5 * 366)
# ...unless its rule counts few occurrences: those are quick to walk whenever they began.
COUNTED_ENOUGH = 1000
# Periods the expansion of a whole file may walk (see expansion.SERIES_PERIODS for one).
IMPORT_PERIODS = 200_000
HOUR = 3600
DEFAULT_LENGTH = timedelta(hours=1)
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000


class Skip(Exception):
    """This entry cannot become an event; the message says why."""


# What an import sets on a draft, and so what importing again updates.
IMPORTED_FIELDS = {
    "title",
    "description",
    "starts_at",
    "ends_at",
    "timezone",
    "category",
    "tags",
    "venue",
    "online_url",
}


class MadeMeanwhile(Exception):
    """A concurrent import of the same entry recorded its draft first."""


@dataclass(frozen=True)
class Draft:
    uid: str
    # RECURRENCE-ID of a date of a series (UTC, or a date), "" for a single entry.
    recurrence: str
    data: EventCreate

    @property
    def key(self) -> bytes:
        return hashlib.sha256(f"{self.uid}\n{self.recurrence}".encode()).digest()


@dataclass(frozen=True)
class Outcome:
    event: Event | None
    created: bool = False
    skipped: str | None = None


def import_calendar(session: Session, user_id: uuid.UUID, body: bytes) -> ImportResult:
    # Who may import, and how often, is settled before the file costs anything to read.
    user = users.by_id(session, user_id)
    if user is None or not user.email_verified:
        raise EmailNotVerified(
            "Confirm your email address first (see the mail we sent, or ask for a new one)."
        )
    settings = get_settings()
    limit(
        f"calendar-import:{user_id}",
        settings.calendar_imports_per_user_per_hour,
        HOUR,
        "Too many calendar imports from this account; try again later.",
    )
    calendar = _parse(body)
    most = settings.calendar_import_max_events
    entries = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if not entries:
        raise InvalidCalendar("The calendar holds no event (VEVENT).")
    if len(entries) > most:
        raise InvalidCalendar(f"The calendar holds {len(entries)} events; at most {most}.")
    reader = _Reader(session, calendar, user.timezone)
    drafts, skipped = reader.drafts(entries)
    if len(drafts) > most:
        raise InvalidCalendar(
            f"The calendar expands to {len(drafts)} events with its recurring series; "
            f"at most {most} can be imported at once."
        )
    created: list[uuid.UUID] = []
    updated: list[uuid.UUID] = []
    for draft in drafts:
        try:
            outcome = _import_entry(session, user_id, draft)
        except InvalidInput as refusal:
            skipped.append(SkippedEntry(uid=draft.uid, reason=refusal.detail))
            continue
        if outcome.skipped:
            skipped.append(SkippedEntry(uid=draft.uid, reason=outcome.skipped))
        elif outcome.event is not None:
            (created if outcome.created else updated).append(outcome.event.id)
    return ImportResult(created=created, updated=updated, skipped=skipped)


def _import_entry(session: Session, user_id: uuid.UUID, draft: Draft) -> Outcome:
    """Each entry in a savepoint of its own: a refused one leaves nothing behind."""
    try:
        with session.begin_nested():
            return _save(session, user_id, draft)
    except MadeMeanwhile:
        pass  # its draft was rolled back; the other import's is there now
    with session.begin_nested():
        return _save(session, user_id, draft)


def _save(session: Session, user_id: uuid.UUID, draft: Draft) -> Outcome:
    entry = rows.imported_entry(session, user_id, draft.key)
    if entry is None:
        made = create_event(session, user_id, draft.data)
        # Waits for a concurrent import holding the same key, and loses to it if it commits.
        if not rows.record_import(
            session, user_id, draft.key, draft.uid, draft.recurrence, made.id, made.updated_at
        ):
            raise MadeMeanwhile
        return Outcome(made, created=True)
    event = event_rows.get(session, entry.event_id, for_update=True)
    assert event is not None  # the entry goes with its event (foreign key cascade)
    if event.status != EventStatus.draft:
        return Outcome(event, skipped=f"{event.status.value} since it was imported: left as it is")
    if event.updated_at != entry.synced_at:
        return Outcome(event, skipped="changed since it was imported: left as it is")
    fields = draft.data.model_dump(mode="json", include=IMPORTED_FIELDS)
    update_event(session, event.id, user_id, False, EventUpdate.model_validate(fields))
    session.flush()
    session.refresh(event)
    entry.synced_at = event.updated_at
    return Outcome(event)


def _parse(body: bytes) -> icalendar.Calendar:
    if not body.strip():
        raise InvalidCalendar("The body is empty; send an .ics file (text/calendar).")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidCalendar("The file is not UTF-8 text, so not an iCalendar file.") from None
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise InvalidCalendar("The file does not start with BEGIN:VCALENDAR.")
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except Exception as error:  # the parser raises many kinds; every one means the same
        raise InvalidCalendar(f"The file is not valid iCalendar: {_short(error)}") from None
    if not calendars or calendars[0].name != "VCALENDAR":
        raise InvalidCalendar("The file holds no complete VCALENDAR (… END:VCALENDAR).")
    if len(calendars) > 1:
        raise InvalidCalendar("Send exactly one VCALENDAR per file.")
    calendar: icalendar.Calendar = calendars[0]
    return calendar


class _Reader:
    def __init__(self, session: Session, calendar: icalendar.Calendar, fallback_zone: str):
        self.calendar = calendar
        declared = str(calendar.get("X-WR-TIMEZONE", "")).strip()
        # A file saying `localtime` gets the fallback zone, as for no zone.
        self.zone_name = declared if declared in iana_zones() else fallback_zone
        self.zone = ZoneInfo(self.zone_name)
        self.categories = {c.slug.lower(): c.slug for c in event_rows.categories(session)}
        self.max_occurrences = get_settings().calendar_import_max_occurrences
        self.now = datetime.now(UTC)
        self.budget = PeriodBudget(IMPORT_PERIODS, SERIES_PERIODS)

    def drafts(self, entries: Sequence[Any]) -> tuple[list[Draft], list[SkippedEntry]]:
        series: dict[str, list[Any]] = defaultdict(list)
        for index, entry in enumerate(entries, 1):
            series[str(entry.get("UID", "")).strip() or f"(no UID, event #{index})"].append(entry)
        drafts: list[Draft] = []
        skipped: list[SkippedEntry] = []
        for uid, components in series.items():
            try:
                found, note = self._series(uid, components)
            except Skip as reason:
                skipped.append(SkippedEntry(uid=uid, reason=str(reason)))
                continue
            except Exception as error:  # a malformed entry skips itself, never the request
                skipped.append(SkippedEntry(uid=uid, reason=f"unreadable: {_short(error)}"))
                continue
            drafts.extend(found)
            if note:
                skipped.append(SkippedEntry(uid=uid, reason=note))
        return drafts, skipped

    def _series(self, uid: str, components: list[Any]) -> tuple[list[Draft], str | None]:
        masters = [c for c in components if "RECURRENCE-ID" not in c]
        master = masters[0] if masters else components[0]
        if not ("RRULE" in master or "RDATE" in master):
            if len(components) > 1 and masters:
                raise Skip("several events share this UID")
            return [self._draft(uid, c) for c in components], None
        if str(master.get("STATUS", "")).upper() == "CANCELLED":
            raise Skip("cancelled in the calendar")
        rules = _all(master, "RRULE")
        for rule in rules:
            reason = refusal(rule)
            if reason:
                raise Skip(reason)
        few = all(_counted(rule) <= COUNTED_ENOUGH for rule in rules)
        if not few and _start_of(master) < self.now - OLDEST_SERIES:
            raise Skip("the recurring series began more than five years ago")
        upcoming: list[Any] = []
        note = None
        costly = (
            "too costly to expand (its rule matches rarely or never, or the file's series "
            "took too long together)"
        )
        try:
            with self.budget.series():
                for occurrence in self._occurrences(components):
                    upcoming.append(occurrence)
                    if len(upcoming) > self.max_occurrences:
                        break
        except ExpansionTooCostly:
            if not upcoming:
                raise Skip(f"the recurring series is {costly}") from None
            # What was found stands; finding more would cost too much.
            note = f"recurring series: only the {len(upcoming)} occurrences found were imported, "
            note += f"finding more is {costly}"
        if not upcoming:
            raise Skip("the recurring series has no upcoming occurrence")
        if len(upcoming) > self.max_occurrences:
            upcoming = upcoming[: self.max_occurrences]
            note = (
                f"recurring series: only its next {self.max_occurrences} occurrences were "
                "imported, it goes on after them"
            )
        drafts = []
        for occurrence in upcoming:
            if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
                continue
            drafts.append(self._draft(uid, occurrence))
        if not drafts:
            raise Skip("every upcoming occurrence is cancelled")
        return drafts, note

    def _occurrences(self, components: list[Any]) -> Iterator[Any]:
        """The series' occurrences that have not ended yet, in order (moved and cancelled
        ones as the calendar says)."""
        one_series = icalendar.Calendar()
        for timezone in self.calendar.walk("VTIMEZONE"):
            one_series.add_component(timezone)
        for component in components:
            one_series.add_component(component)
        return occurrences(one_series, self.now)

    def _draft(self, uid: str, entry: Any) -> Draft:
        if str(entry.get("STATUS", "")).upper() == "CANCELLED":
            raise Skip("cancelled in the calendar")
        title = " ".join(str(entry.get("SUMMARY", "")).split())
        if not title:
            raise Skip("no title (SUMMARY)")
        starts, ends, zone = self._times(entry)
        description = str(entry.get("DESCRIPTION", "")).strip()
        page = str(entry.get("URL", "")).strip()
        if page:
            description = f"{description}\n\n{page}".strip()
        location = str(entry.get("LOCATION", ""))
        fields: dict[str, Any] = {
            "title": _cut(title, MAX_TITLE),
            "description": _cut(description.replace("\x00", ""), MAX_DESCRIPTION),
            "starts_at": starts,
            "ends_at": ends,
            "timezone": zone,
            "status": "draft",
            **self._category_and_tags(entry),
        }
        place = _venue(location)
        if place is None and location.strip():
            fields["online_url"] = " ".join(location.split())
        elif place is not None:
            venue: dict[str, Any] = {"name": _cut(place[0], 200), "address": _cut(place[1], 500)}
            geo = entry.get("GEO")
            if geo is not None:
                venue.update(lat=geo.latitude, lon=geo.longitude)
            fields["venue"] = venue
        try:
            return Draft(uid, self._recurrence(entry), EventCreate.model_validate(fields))
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "event"
            raise Skip(f"{where}: {problem['msg']}") from None

    def _recurrence(self, entry: Any) -> str:
        """The RECURRENCE-ID (the date the rule made, whatever the entry moved to) as a key:
        UTC, floating times in the calendar's zone; a date as it is."""
        value = entry.get("RECURRENCE-ID")
        if value is None:
            return ""
        moment = value.dt
        if isinstance(moment, datetime):
            return self._aware(moment).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{moment:%Y%m%d}"

    def _times(self, entry: Any) -> tuple[datetime, datetime, str]:
        if "DTSTART" not in entry:
            raise Skip("no start (DTSTART)")
        start = entry.decoded("DTSTART")
        if "DTEND" in entry:
            end = entry.decoded("DTEND")
        elif "DURATION" in entry:
            end = start + entry.decoded("DURATION")
        else:
            end = start + (timedelta(days=1) if _all_day(start) else DEFAULT_LENGTH)
        zone_name = self.zone_name
        if isinstance(start, datetime) and start.tzinfo is not None:
            tzid = entry["DTSTART"].params.get("TZID") or getattr(start.tzinfo, "key", None)
            zone_name = _iana_name(tzid) or self.zone_name
        return self._aware(start), self._aware(end), zone_name

    def _aware(self, moment: date | datetime) -> datetime:
        if not isinstance(moment, datetime):
            return datetime(moment.year, moment.month, moment.day, tzinfo=self.zone)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def _category_and_tags(self, entry: Any) -> dict[str, Any]:
        names = [str(name) for item in _all(entry, "CATEGORIES") for name in item.cats]
        known = [self.categories.get(n.strip().lower()) for n in names]
        category = next((slug for slug in known if slug), "other")
        tags = sorted({normalize_tag(n)[:50] for n in names if n.strip()} - {category})[:20]
        return {"category": category, "tags": tags}


def _all(entry: Any, name: str) -> list[Any]:
    """A property that may appear several times: icalendar gives a list only then."""
    value = entry.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _venue(location: str) -> tuple[str, str] | None:
    """(name, address) of a LOCATION; None when it is empty or a link. Apple writes
    "name\naddress", Google and our own feeds "name, street, city": the first line, or what
    comes before the first comma, is the name. An address that starts with its number
    ("221B Baker Street, London") or a bare name has nothing to split off: it is both (a
    venue needs both)."""
    lines = [" ".join(line.split()) for line in location.splitlines()]
    lines = [line for line in lines if line]
    if not lines or lines[0].lower().startswith(("https://", "http://")):
        return None
    if len(lines) > 1:
        return lines[0], ", ".join(lines[1:])
    whole = lines[0]
    name, comma, address = whole.partition(",")
    if comma and name.strip() and address.strip() and not name.lstrip()[0].isdigit():
        return name.strip(), address.strip()
    return whole, whole


def _iana_name(tzid: str | None) -> str | None:
    """The IANA name a TZID stands for; Outlook's Windows names (`W. Europe Standard Time`)
    mapped. UTC is no place: the calendar's zone is a better guess."""
    name = WINDOWS_TO_OLSON.get(tzid or "", tzid)
    if name in iana_zones() and name not in ("UTC", "Etc/UTC"):
        return name
    return None


def _all_day(moment: date | datetime) -> bool:
    return not isinstance(moment, datetime)


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _short(error: Exception) -> str:
    return (str(error) or type(error).__name__).splitlines()[0][:200]


def _start_of(component: Any) -> datetime:
    """DTSTART as an aware moment (a date, or a floating time, read as UTC), for age checks."""
    start = component.get("DTSTART")
    value = start.dt if start is not None else None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return datetime.now(UTC)  # no start: the entry is refused later for it


def _counted(rule: Any) -> int:
    """How many occurrences a rule's COUNT allows; unbounded (or unreadable) is "many"."""
    try:
        return int(rule.get("COUNT", [COUNTED_ENOUGH + 1])[0])
    except (TypeError, ValueError, IndexError):
        return COUNTED_ENOUGH + 1
