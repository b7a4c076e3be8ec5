"""What an API key may do: the fixed set of scopes, and the one table of which route needs which.

A route is matched by its path template; reads (GET, HEAD) need the rule's read scope, anything
else its write scope. A route no rule names, or whose rule gives no scope for the method, is
for the person only (managing keys, the password, deleting the account, signing out, admin
work): a key is refused there whatever its scopes. New routes are therefore closed to keys
until a rule here opens them.
"""

from __future__ import annotations

import re

SCOPES: dict[str, str] = {
    "events:read": "events and series, their media, calendars and teams; the caller's own events",
    "events:write": "create, edit, publish, cancel, delete events and series; media, team, imports",
    "registrations:read": "the caller's registrations, tickets and place at an event; "
    "participant lists",
    "registrations:write": "register, cancel, claim an offered seat; remove participants",
    "checkin:write": "check people in at the door (codes, batches, the door snapshot)",
    "reports:read": "analytics, the state of reports and an event's reports",
    "reports:write": "ask for reports",
    "notifications:read": "in-app notifications and notification settings",
    "notifications:write": "mark notifications read, change settings, push subscriptions",
    "account:read": "the caller's profile and the export of their data",
}

PERSON_ONLY = (None, None)
# First match wins: (path template pattern, (read scope, write scope)); None = person only.
RULES: tuple[tuple[re.Pattern[str], tuple[str | None, str | None]], ...] = tuple(
    (re.compile(pattern), scopes)
    for pattern, scopes in (
        (r"^/api/v1/me/api-keys", PERSON_ONLY),
        (r"^/api/v1/(auth|admin)/", PERSON_ONLY),
        (r"^/api/v1/users/me(/export)?$", ("account:read", None)),
        (r"/check-in", ("checkin:write", "checkin:write")),
        # The caller's own place at an event: their registration, and their part.
        (r"^/api/v1/events/\{event_id\}/me$", ("registrations:read", None)),
        (r"^/api/v1/events/\{event_id\}/reports$", ("reports:read", None)),
        (
            r"^/api/v1/events/\{event_id\}/registrations",
            ("registrations:read", "registrations:write"),
        ),
        (
            r"^/api/v1/me/(registrations|calendar-feed)",
            ("registrations:read", "registrations:write"),
        ),
        (
            r"^/api/v1/me/(notifications|notification-settings|push-subscriptions)",
            ("notifications:read", "notifications:write"),
        ),
        (r"^/api/v1/(analytics|reports)(/|$)", ("reports:read", "reports:write")),
        # Following decides which notices a person gets.
        (r"^/api/v1/me/following", ("notifications:read", None)),
        (r"^/api/v1/organizers/\{[a-z_]+\}/follow", (None, "notifications:write")),
        (r"^/api/v1/organizers(/|$)", ("events:read", None)),
        (
            r"^/api/v1/(events|me/events|me/series|categories|calendar|series)(/|$)",
            ("events:read", "events:write"),
        ),
    )
)
READS = {"GET", "HEAD"}


def required_scope(method: str, path: str) -> str | None:
    """The scope a key needs for this route (its path template), None if keys may not use it."""
    for pattern, (read, write) in RULES:
        if pattern.search(path):
            return read if method.upper() in READS else write
    return None
