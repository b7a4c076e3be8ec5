"""The kinds table is the one list of notification kinds: every kind renders, and every kind
the code emits is in it (a misspelt one would otherwise fail only in the worker)."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.db import unit_of_work
from shared.notifications import kinds
from shared.notifications.delivery.invitations import METHODS
from shared.notifications.kinds import IN_APP, KINDS, Kind, UnknownKind, render
from shared.notifications.models import Notification
from shared.notifications.schemas import (
    AchievementNotice,
    AnnouncementNotice,
    EventChangeNotice,
    EventNotice,
    FollowedEventNotice,
    MentionNotice,
    Message,
    NoPayload,
    OfferNotice,
    Payload,
    ReasonedNotice,
    ReminderNotice,
    ReportNotice,
    ReviewNotice,
    SeatNotice,
    TeamNotice,
    WaitlistNotice,
)
from shared.notifications.service import notify

ROOT = Path(__file__).resolve().parents[2]
EVENT = {
    "event_id": str(uuid.uuid4()),
    "title": "Concert",
    "starts_at": "2031-05-01T16:00:00+00:00",
}
# One valid payload per model: a new model without one fails `test_every_kind_renders`.
SAMPLES: dict[type[Payload], dict[str, Any]] = {
    NoPayload: {},
    Message: {"subject": "Hello", "text": "Body"},
    EventNotice: {**EVENT, "reader_timezone": "Europe/Moscow"},
    SeatNotice: {**EVENT, "registration_id": str(uuid.uuid4())},
    WaitlistNotice: {**EVENT, "position": 3},
    OfferNotice: {**EVENT, "offer_expires_at": "2031-04-20T10:00:00+00:00"},
    EventChangeNotice: {**EVENT, "changes": {"starts_at": [EVENT["starts_at"], None]}},
    ReasonedNotice: {**EVENT, "reason": "Rain"},
    ReminderNotice: {**EVENT, "reminder": "1h", "where": "Hall"},
    TeamNotice: {**EVENT, "role": "steward"},
    FollowedEventNotice: {**EVENT, "organizer_name": "Ada {Lovelace}", "where": "Hall"},
    ReviewNotice: {**EVENT, "review_id": str(uuid.uuid4()), "rating": 4},
    AnnouncementNotice: {
        **EVENT,
        "message_id": str(uuid.uuid4()),
        "announcement": "Room change",
        "text": "Room 2 <now>",
    },
    MentionNotice: {
        **EVENT,
        "message_id": str(uuid.uuid4()),
        "author_name": "Ada {Lovelace}",
        "text": "@Grace <b>hi</b>",
    },
    AchievementNotice: {"rule": "host_10", "points": 50},
    ReportNotice: {"report_id": str(uuid.uuid4()), "kind": "organizer_summary", "format": "csv"},
}
# They mint a one-time link for an existing account (tests/functions/test_verify_email.py).
MINTING = {kinds.VERIFY_EMAIL.name, kinds.RESET_PASSWORD.name}


def test_the_table_is_the_module_constants_once_each():
    constants = {v.name: v for v in vars(kinds).values() if isinstance(v, Kind)}
    assert constants == dict(KINDS)
    for name, kind in KINDS.items():
        assert kind.name == name
        assert issubclass(kind.payload, Payload)
        assert callable(kind.renderer)
    assert set(IN_APP) <= set(KINDS)
    # The inbox renders what it shows: no kind whose text mints a secret.
    assert not MINTING & set(IN_APP)
    # A calendar entry is built from the event the payload names.
    assert set(METHODS) == {n for n, k in KINDS.items() if k.calendar}
    assert all(issubclass(KINDS[name].payload, EventNotice) for name in METHODS)
    # A ticket is signed for the registration the payload names.
    assert all(issubclass(k.payload, SeatNotice) for k in KINDS.values() if k.ticket)


@pytest.mark.parametrize("name", sorted(set(KINDS) - MINTING))
@pytest.mark.parametrize("locale", ["en", "ru"])
def test_every_kind_renders(name, locale):
    kind = KINDS[name]
    row = Notification(kind=name, locale=locale, payload=SAMPLES[kind.payload])
    rendered = render(row)
    assert rendered.subject
    assert rendered.summary


def test_an_unknown_kind_does_not_render():
    with pytest.raises(UnknownKind):
        render(Notification(kind="no-such-kind", locale="en", payload={}))


def test_notify_refuses_what_the_table_does_not_know(db_url):
    with pytest.raises(UnknownKind), unit_of_work() as session:
        notify(session, kind="registration_confirmd", recipient="x@example.org", payload={})
    with pytest.raises(ValidationError), unit_of_work() as session:
        notify(session, kind="message", recipient="x@example.org", payload={"subjet": "Hi"})
    # The wrong model for the kind: mypy refuses it too (hence the ignore).
    wrong = EventNotice(**EVENT)
    with pytest.raises(TypeError), unit_of_work() as session:
        notify(session, kind=kinds.EVENT_CANCELLED, recipient="x@", payload=wrong)  # type: ignore[misc]


def _calls_and_references(tree: ast.AST) -> tuple[list[ast.expr], list[str]]:
    """The `kind=` given to every `notify(...)`, and every `kinds.NAME` the code names."""
    given, named = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "notify":
            given += [k.value for k in node.keywords if k.arg == "kind"]
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "kinds"
        ):
            named.append(node.attr)
    return given, named


def test_every_kind_emitted_in_the_code_is_in_the_table():
    literal: set[str] = set()
    named: set[str] = set()
    for folder in ("shared", "functions"):
        for path in (ROOT / folder).rglob("*.py"):
            given, referenced = _calls_and_references(ast.parse(path.read_text()))
            named.update(referenced)
            for value in given:
                if isinstance(value, ast.Constant):
                    literal.add(str(value.value))
    assert literal <= set(KINDS), literal - set(KINDS)
    assert named, "no module names a kind: the scan is broken"
    missing = {name for name in named if not isinstance(getattr(kinds, name, None), Kind)}
    # `kinds.KINDS`, `kinds.IN_APP` are the table itself.
    assert missing <= {"KINDS", "IN_APP"}, missing
