"""The rules: what earns points, once per person or once per person and event.

Points-only rules are not listed among a person's achievements; the others are badges with a
name in every language the platform speaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# A seat given back at least this long before the start could still go to someone else; the
# same bound makes a cancellation "late" in the attendance record.
EARLY_CANCELLATION = timedelta(hours=24)
# Events attended (check-ins since opting in) that earn a badge.
ATTENDANCE_MILESTONES = {1: "first_event", 5: "regular", 25: "devoted"}
# People checked in at one event that earn its organizer a badge.
HOSTING_MILESTONES = {10: "host_10", 100: "host_100"}


@dataclass(frozen=True)
class Rule:
    code: str
    points: int
    # Once per event (scope = the event's id) rather than once per person.
    per_event: bool
    # Listed among achievements, under these names.
    names: dict[str, str] | None = None


RULES = {
    rule.code: rule
    for rule in (
        Rule("attended", 10, per_event=True),
        Rule("reviewed", 5, per_event=True),
        Rule("seat_released", 3, per_event=True),
        Rule("first_event", 5, False, {"en": "First event", "ru": "Первое событие"}),
        Rule("regular", 20, False, {"en": "Regular: 5 events", "ru": "Завсегдатай: 5 событий"}),
        Rule("devoted", 100, False, {"en": "Devoted: 25 events", "ru": "Преданный: 25 событий"}),
        Rule(
            "host_10",
            50,
            True,
            {"en": "Host of 10 attendees", "ru": "Организатор: 10 участников"},
        ),
        Rule(
            "host_100",
            200,
            True,
            {"en": "Host of 100 attendees", "ru": "Организатор: 100 участников"},
        ),
    )
}


def name_of(rule: Rule, locale: str) -> str:
    names = rule.names or {}
    return names.get(locale) or names.get("en", rule.code)
