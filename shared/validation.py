"""The base of every request body (unknown fields refused, no NUL character anywhere) and the
strict types request fields are made of.

PostgreSQL text cannot hold NUL; refusing it at the door turns what would be a database error
into a 422 that says which field is wrong. Numbers and flags are strict: pydantic's lax mode
would read `true` as 1 and `"5"` as 5, so a client's mistake would be stored as a choice.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Strict, field_validator

from shared import process_state

WholeNumber = Annotated[int, Strict()]
Number = Annotated[float, Strict()]  # an integer is a number too; a bool or a string is not
Flag = Annotated[bool, Strict()]

# Control characters, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if _CONTROL.search(value):
        raise ValueError("must be a single line without control characters")
    return value.strip()


# A name or title: it lands in mail subjects and headers, calendar lines and page titles,
# where a line break would start something else. Checked, then stripped of surrounding
# spaces, before any length constraint added to it (`Annotated[SingleLine, Field(...)]`).
SingleLine = Annotated[str, BeforeValidator(_one_line)]


@process_state.cached
def iana_zones() -> frozenset[str]:
    """What the tz database lists, less its pseudo-zones: `localtime` is whatever the server's
    clock says, `Factory` and `posixrules` are not places. Read on first use: listing the zones
    walks the tz database's files, a cost a function's cold start need not pay."""
    return frozenset(available_timezones()) - {"localtime", "Factory", "posixrules"}


def _known_zone(value: Any) -> Any:
    if isinstance(value, str) and value not in iana_zones():
        raise ValueError("unknown IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)")
    return value


TimeZoneName = Annotated[str, BeforeValidator(_known_zone)]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MOMENT_FORMAT = "an RFC 3339 date-time with offset (2031-06-01T18:00:00Z) or a date (2031-06-01)"


def _day_start(value: Any) -> Any:
    if isinstance(value, str) and _DAY.match(value):
        try:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        except ValueError:
            pass  # not a real day: the datetime check below says what is expected
    if isinstance(value, str) and not _looks_aware(value):
        raise ValueError(f"expected {MOMENT_FORMAT}")
    return value


def _day_end(value: Any) -> Any:
    start = _day_start(value)
    if start is not value and isinstance(start, datetime):
        if start.date() == date.max:
            return datetime.max.replace(tzinfo=UTC)  # no next day to end before
        return start + timedelta(days=1)  # the whole day is included
    return start


def _looks_aware(value: str) -> bool:
    return bool(re.search(r"(?:[Zz]|[+-]\d{2}:?\d{2})$", value))


# Query bounds: a date means that day in UTC, from its first moment (`from`) or through its
# last (`to`); a date-time must carry its offset.
MomentFrom = Annotated[AwareDatetime, BeforeValidator(_day_start)]
MomentTo = Annotated[AwareDatetime, BeforeValidator(_day_end)]


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


class RequestModel(BaseModel):
    # hide_input_in_errors: a refused password or token never shows in a logged error text.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError("must not contain the NUL character")
        return value
