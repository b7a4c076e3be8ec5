"""A series' rule: read, checked and expanded with the importer's bounded expansion.

Accepted: one RRULE value (an "RRULE:" prefix is allowed), FREQ DAILY, WEEKLY, MONTHLY or
YEARLY without BYHOUR, BYMINUTE or BYSECOND (several times a day are separate events), and
COUNT or UNTIL giving at most MAX_OCCURRENCES dates, DTSTART counted. UNTIL as a date means
the end of that day in the series' zone, as a floating time that time in the zone; it is
stored in UTC, as RFC 5545 wants when DTSTART has a zone.

Occurrences keep the first one's wall-clock time in the series' zone (18:00 stays 18:00 when
summer time starts or ends); a time that a change skips (02:30 on the night clocks go
forward) is read as the zone's rules read it (PEP 495, fold 0).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from dateutil import rrule as dateutil_rrule

from shared.calendars.expansion import (
    SERIES_PERIODS,
    ExpansionTooCostly,
    PeriodBudget,
    occurrences,
    refusal,
)
from shared.series.errors import InvalidRule

MAX_OCCURRENCES = 200
FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
UTC = ZoneInfo("UTC")


def checked_rule(text: str, starts_at: datetime, zone_name: str) -> str:
    """The rule as stored, or InvalidRule saying what is wrong with it."""
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[len("RRULE:") :]
    if not value or any(c in value for c in "\r\n:"):
        raise InvalidRule("Send one RRULE value, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10.")
    try:
        rule = icalendar.vRecur.from_ical(value)
    except Exception:  # the parser raises several kinds; each means the rule is unreadable
        raise InvalidRule(f"The rule {value[:100]!r} is not an RFC 5545 RRULE.") from None
    frequency = str(rule.get("FREQ", [""])[0]).upper()
    reason = refusal(rule)
    if reason:
        raise InvalidRule(f"The rule {reason}: a series has one event a day at most.")
    if frequency not in FREQUENCIES:
        raise InvalidRule("The rule needs a FREQ: DAILY, WEEKLY, MONTHLY or YEARLY.")
    if "COUNT" in rule and "UNTIL" in rule:
        raise InvalidRule("A rule has COUNT or UNTIL, not both.")
    if "COUNT" not in rule and "UNTIL" not in rule:
        raise InvalidRule("The rule needs COUNT or UNTIL: a series must end.")
    if "COUNT" in rule and not 1 <= int(rule["COUNT"][0]) <= MAX_OCCURRENCES:
        raise InvalidRule(f"COUNT must be between 1 and {MAX_OCCURRENCES}.")
    zone = ZoneInfo(zone_name)
    if "UNTIL" in rule:
        try:
            rule["UNTIL"] = [_utc_until(rule["UNTIL"][0], zone)]
        except (OverflowError, ValueError):  # a date-time at the end of the calendar
            raise InvalidRule("UNTIL is out of range.") from None
    stored = str(rule.to_ical().decode())
    try:
        # dateutil is what expands it: it must accept every part, not only the parser.
        dateutil_rrule.rrulestr(stored, dtstart=starts_at.astimezone(zone))
    except Exception as error:  # dateutil raises several kinds; each means the same
        raise InvalidRule(f"The rule cannot be expanded: {str(error)[:200]}") from None
    return stored


def _utc_until(until: Any, zone: ZoneInfo) -> datetime:
    if isinstance(until, datetime):
        moment = until if until.tzinfo is not None else until.replace(tzinfo=zone)
    elif isinstance(until, date):
        moment = datetime.combine(until, time(23, 59, 59), tzinfo=zone)
    else:
        raise InvalidRule("UNTIL must be a date or a date-time.")
    return moment.astimezone(UTC)


def series_vevent(rule: str, starts_at: datetime, ends_at: datetime, zone_name: str) -> Any:
    """The VEVENT the rule repeats: the start in the series' zone (TZID), its end, the rule."""
    zone = ZoneInfo(zone_name)
    component = icalendar.Event()
    component.add("dtstart", starts_at.astimezone(zone))
    component.add("dtend", ends_at.astimezone(zone))
    component.add("rrule", icalendar.vRecur.from_ical(rule))
    return component


def expand(
    rule: str, starts_at: datetime, ends_at: datetime, zone_name: str
) -> list[tuple[datetime, datetime]]:
    """Every (start, end) of the series, DTSTART first; InvalidRule beyond MAX_OCCURRENCES,
    or when walking the rule would cost more than a series may (a rule that rarely or never
    matches)."""
    calendar = icalendar.Calendar()
    vevent = series_vevent(rule, starts_at, ends_at, zone_name)
    vevent.add("uid", "series")
    calendar.add_component(vevent)
    dates: list[tuple[datetime, datetime]] = []
    try:
        with PeriodBudget(SERIES_PERIODS, SERIES_PERIODS).series():
            for occurrence in occurrences(calendar):
                dates.append((occurrence.decoded("DTSTART"), occurrence.decoded("DTEND")))
                if len(dates) > MAX_OCCURRENCES:
                    break
    except ExpansionTooCostly:
        raise InvalidRule(
            f"The rule matches too rarely to expand (it walks more than {SERIES_PERIODS} periods)."
        ) from None
    except Exception as error:  # a rule dateutil accepted but cannot walk (dates past 9999)
        raise InvalidRule(f"The rule cannot be expanded: {str(error)[:200]}") from None
    if len(dates) > MAX_OCCURRENCES:
        raise InvalidRule(f"The rule makes more than {MAX_OCCURRENCES} occurrences.")
    return dates
