"""What each kind of report holds: its title, columns, streamed rows and, for the PDF page, its
figures and registrations per day. Builders only see a `Source`, so every format shows the
same numbers.

Times are shown in one zone per report (the event's own for an attendance list, the
requester's for a summary), named in the subtitle; words are in the requester's language.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from shared.events.models import Event
from shared.registrations.answers import value_text
from shared.registrations.models import CONFIRMED_STATUSES
from shared.reports import repository
from shared.reports.errors import ReportImpossible
from shared.reports.models import Report, ReportKind
from shared.reports.repository import Period, Query

Cell = str | int | datetime | None
CellKind = Literal["text", "number", "time"]

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "attendance.title": "Attendance: {title}",
        "summary.title": "Events of {name}",
        "period.any": "all events",
        "period.from": "from {start}",
        "period.to": "before {end}",
        "times": "times in {zone}",
        "as_of": "as of {time}",
        "name": "Name",
        "email": "Email",
        "status": "Status",
        "registered_at": "Registered at",
        "checked_in_at": "Checked in at",
        "cancelled_at": "Cancelled at",
        "waitlist_position": "Waitlist position",
        "event": "Event",
        "starts_at": "Starts",
        "capacity": "Capacity",
        "confirmed": "Confirmed",
        "waitlisted": "Waitlisted",
        "offered": "Seat offered",
        "cancelled": "Cancelled",
        "checked_in": "Checked in",
        "registrations": "Registrations",
        "events": "Events",
        "per_day": "Registrations per day",
        "more": "… and {count} more",
        "none": "No registrations yet.",
        "yes": "yes",
        "no": "no",
    },
    "ru": {
        "attendance.title": "Участники: {title}",
        "summary.title": "События организатора {name}",
        "period.any": "все события",
        "period.from": "с {start}",
        "period.to": "до {end}",
        "times": "время: {zone}",
        "as_of": "на {time}",
        "name": "Имя",
        "email": "Почта",
        "status": "Статус",
        "registered_at": "Регистрация",
        "checked_in_at": "Отмечен(а)",
        "cancelled_at": "Отмена",
        "waitlist_position": "Место в листе ожидания",
        "event": "Событие",
        "starts_at": "Начало",
        "capacity": "Мест",
        "confirmed": "Подтверждено",
        "waitlisted": "В ожидании",
        "offered": "Предложено место",
        "cancelled": "Отменено",
        "checked_in": "Пришли",
        "registrations": "Регистраций",
        "events": "Событий",
        "per_day": "Регистрации по дням",
        "more": "… и ещё {count}",
        "none": "Регистраций пока нет.",
        "yes": "да",
        "no": "нет",
    },
}


@dataclass(frozen=True)
class Column:
    key: str
    kind: CellKind
    # Characters: the XLSX column width, and a PDF column's share of the page.
    width: int
    # A title of its own (a question's label) rather than the words' `key`.
    label: str | None = None


@dataclass
class Source:
    """One report's content. `rows` streams; the rest are small aggregates."""

    report: Report
    words: dict[str, str]
    zone: ZoneInfo
    title: str
    subtitle: str
    columns: list[Column]
    query: Query
    filename_stem: str
    # Only the attendance list has a single event; a summary aggregates a set of them.
    event_id: uuid.UUID | None
    events: Query | None
    # The attendance list (a summary has None): the question ids of its answer columns,
    # which come last; its query's last value is the registration's stored answers.
    question_ids: tuple[str, ...] | None = None

    @property
    def sheet_title(self) -> str:
        """What one row is: a registration, or (in a summary) an event."""
        return self.words["registrations" if self.events is None else "events"]

    def headers(self, *, zoned: bool = False) -> list[str]:
        """Column titles; `zoned` names the zone in the title of every time column, for
        formats whose times cannot carry it (a spreadsheet's)."""
        return [
            f"{self.words[column.key]} ({self.zone.key})"
            if zoned and column.kind == "time"
            else column.label or self.words[column.key]
            for column in self.columns
        ]

    def rows(self, session: Session) -> Iterator[list[Cell]]:
        for row in repository.stream(session, self.query):
            yield self._row(row)

    def _row(self, row: Sequence[Any]) -> list[Cell]:
        if self.question_ids is None:
            return [self._cell(value) for value in row]
        *values, stored = row
        answered = {answer["question_id"]: answer["value"] for answer in stored}
        yes, no = self.words["yes"], self.words["no"]
        return [self._cell(value) for value in values] + [
            value_text(answered[question_id], yes, no) if question_id in answered else None
            for question_id in self.question_ids
        ]

    def _cell(self, value: Any) -> Cell:
        if isinstance(value, datetime):
            return value.astimezone(self.zone)
        if isinstance(value, Enum):
            return str(value.value)
        return value  # type: ignore[no-any-return]

    def count(self, session: Session) -> int:
        return repository.count(session, self.query)

    def first(self, session: Session, limit: int) -> list[list[Cell]]:
        rows = session.execute(self.query.limit(limit))
        return [self._row(row) for row in rows]

    def figures(self, session: Session) -> list[tuple[str, int]]:
        by_status = repository.status_counts(session, event_id=self.event_id, events=self.events)
        figures = []
        if self.events is not None:
            figures.append((self.words["events"], repository.count(session, self.events)))
        figures += [
            (self.words["registrations"], sum(by_status.values())),
            (self.words["confirmed"], sum(by_status.get(s, 0) for s in CONFIRMED_STATUSES)),
            (self.words["waitlisted"], by_status.get("waitlisted", 0)),
            (self.words["offered"], by_status.get("offered", 0)),
            (self.words["cancelled"], by_status.get("cancelled", 0)),
            (self.words["checked_in"], by_status.get("checked_in", 0)),
        ]
        return figures

    def by_day(self, session: Session) -> list[tuple[date, int]]:
        return repository.registrations_by_day(
            session, self.zone.key, event_id=self.event_id, events=self.events
        )


ATTENDANCE = [
    Column("name", "text", 26),
    Column("email", "text", 30),
    # Wide enough for `checked_in` and `waitlisted` whole in the PDF, never "checked_…".
    Column("status", "text", 12),
    Column("registered_at", "time", 17),
    Column("checked_in_at", "time", 17),
    Column("cancelled_at", "time", 17),
    Column("waitlist_position", "number", 15),
]
SUMMARY = [
    Column("event", "text", 40),
    Column("starts_at", "time", 17),
    Column("status", "text", 11),
    Column("capacity", "number", 10),
    Column("confirmed", "number", 12),
    Column("waitlisted", "number", 12),
    Column("cancelled", "number", 12),
    Column("checked_in", "number", 12),
    # Added last: a spreadsheet reading the columns by place keeps reading the same ones.
    Column("offered", "number", 12),
]


def source_of(session: Session, report: Report) -> Source:
    requester = repository.requester(session, report.requester_id)
    locale = requester.locale if requester is not None else "en"
    words = WORDS.get(locale, WORDS["en"])
    if report.kind == ReportKind.event_attendance:
        event = session.get(Event, report.event_id) if report.event_id else None
        if event is None:
            raise ReportImpossible("The event was deleted before its report could be built.")
        zone = _zone(event.timezone)
        questions = _question_columns(session, event)
        return Source(
            report=report,
            words=words,
            zone=zone,
            title=words["attendance.title"].format(title=event.title),
            subtitle=_subtitle(_time(event.starts_at, zone), zone, words),
            columns=ATTENDANCE + [Column("answer", "text", 16, label) for _, label in questions],
            query=repository.attendance_query(event.id),
            filename_stem=f"attendance-{_slug(event.title)}",
            event_id=event.id,
            events=None,
            question_ids=tuple(question_id for question_id, _ in questions),
        )
    organizer_id = report.organizer_id or report.requester_id
    organizer = repository.requester(session, organizer_id)
    zone = _zone(requester.timezone if requester is not None else "UTC")
    period = Period(report.period_from, report.period_to)
    return Source(
        report=report,
        words=words,
        zone=zone,
        title=words["summary.title"].format(name=organizer.full_name if organizer else "?"),
        subtitle=_subtitle(_period(period, zone, words), zone, words),
        columns=SUMMARY,
        query=repository.summary_query(organizer_id, period),
        filename_stem="events-summary",
        event_id=None,
        events=repository.event_ids(organizer_id, period),
    )


def _question_columns(session: Session, event: Event) -> list[tuple[str, str]]:
    """(question_id, label): the event's questions now, with their labels now, then those
    since removed that someone answered, with the label they were answered under."""
    current = [(str(question["id"]), str(question["label"])) for question in event.questions]
    asked = {question_id for question_id, _ in current}
    removed = [
        (question_id, label)
        for question_id, label in repository.answered_questions(session, event.id)
        if question_id not in asked
    ]
    return current + removed


def _subtitle(about: str, zone: ZoneInfo, words: dict[str, str]) -> str:
    now = _time(datetime.now(zone), zone)
    times = words["times"].format(zone=zone.key)
    return f"{about} · {times} · {words['as_of'].format(time=now)}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _time(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _period(period: Period, zone: ZoneInfo, words: dict[str, str]) -> str:
    parts = []
    if period.start is not None:
        parts.append(words["period.from"].format(start=_time(period.start, zone)))
    if period.end is not None:
        parts.append(words["period.to"].format(end=_time(period.end, zone)))
    return " ".join(parts) or words["period.any"]


def _slug(title: str) -> str:
    """A download name people recognize; letters of any script are kept."""
    return re.sub(r"[^\w]+", "-", title).strip("-_").lower()[:60] or "event"
