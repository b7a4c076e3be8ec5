"""A budget on the work of expanding a recurrence rule, counted in the rule's iterations.

dateutil walks a rule one period (a day, a week, a month, a year) at a time from its start and
only stops at an occurrence: a rule that never matches (`FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`)
or rarely does walks every day up to the year 9999 (seconds of CPU) before answering, and its
UNTIL is only checked on occurrences. Neither it nor recurring-ical-events offers a bound, so
the periods it walks are counted as it walks them (a trace of calls to its per-period step,
in this thread only) and the walk is stopped past the budget, whatever it found.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import CodeType, FrameType
from typing import Any, Literal

import icalendar
import recurring_ical_events
from dateutil import rrule

# The functions dateutil's rule iterator calls once per period it walks, one per frequency.
_STEPS: frozenset[CodeType] = frozenset(
    getattr(rrule._iterinfo, name).__code__ for name in ("ydayset", "mdayset", "wdayset", "ddayset")
)

# Rules more frequent than daily, or multiplying a day's occurrences (a daily rule with 24
# hours is hourly), are no calendar of events: neither imports nor series take them.
TOO_FREQUENT = {"SECONDLY", "MINUTELY", "HOURLY"}
MULTIPLYING = ("BYHOUR", "BYMINUTE", "BYSECOND")
# Periods (days of a daily rule, weeks of a weekly one...) the expansion of one series, and
# of a whole file, may walk: 20,000 days are 55 years; 200,000 periods take about a second.
SERIES_PERIODS = 20_000

TraceEvent = Literal["call", "line", "return", "exception", "opcode"]


class ExpansionTooCostly(Exception):
    """The rule walked more periods than its budget allows."""


class PeriodBudget:
    """Periods an import may walk in all (`total`) and for one series (`per_series`)."""

    def __init__(self, total: int, per_series: int) -> None:
        self.left = total
        self.per_series = per_series

    @contextmanager
    def series(self) -> Iterator[None]:
        """Raise ExpansionTooCostly inside the expansion once it walked past what is left."""
        allowed = min(self.per_series, self.left)
        walked = 0
        previous = sys.gettrace()

        def count(frame: FrameType, event: TraceEvent, arg: Any) -> Any:
            nonlocal walked
            if event == "call" and frame.f_code in _STEPS:
                walked += 1
                if walked > allowed:
                    # Raised from a trace function, it surfaces in the frame being entered:
                    # the rule's iterator stops there and the exception unwinds to the caller.
                    raise ExpansionTooCostly(f"walked more than {allowed} periods")
            return previous(frame, event, arg) if previous is not None else None

        sys.settrace(count)
        try:
            yield
        finally:
            sys.settrace(previous)
            self.left -= min(walked, allowed)


def refusal(rule: Any) -> str | None:
    """Why a rule (an `icalendar.vRecur`) is no calendar of events; None when it is one."""
    if str(rule.get("FREQ", [""])[0]).upper() in TOO_FREQUENT:
        return "repeats more often than daily"
    if any(part in rule for part in MULTIPLYING):
        return "repeats at several times of day (BYHOUR, BYMINUTE or BYSECOND)"
    return None


def occurrences(calendar: icalendar.Calendar, after: datetime | None = None) -> Iterator[Any]:
    """The occurrences of the calendar's series in order (moved and cancelled ones as it
    says), from `after` on when given. Walk it inside `PeriodBudget.series()`."""
    query = recurring_ical_events.of(calendar)
    return iter(query.after(after) if after is not None else query.all())
