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
from types import CodeType, FrameType
from typing import Any, Literal

from dateutil import rrule

# The functions dateutil's rule iterator calls once per period it walks, one per frequency.
_STEPS: frozenset[CodeType] = frozenset(
    getattr(rrule._iterinfo, name).__code__ for name in ("ydayset", "mdayset", "wdayset", "ddayset")
)

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
