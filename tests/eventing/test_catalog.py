"""The catalog is the only way in and out: unknown types are refused on both sides."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest

from local.registry import load_functions
from local.render import render
from shared import catalog
from shared.catalog import CATALOG, CloudEventData, UserRegistered
from shared.db import unit_of_work
from shared.kit import Function
from shared.outbox.models import OutboxMessage
from shared.outbox.writer import emit

ROOT = Path(__file__).resolve().parents[2]


def test_every_type_in_events_md_is_in_the_catalog():
    names = {
        "user.registered",
        "user.verification_requested",
        "user.verified",
        "user.password_reset_requested",
        "user.password_changed",
        "user.role_changed",
        "user.blocked",
        "user.unblocked",
        "event.created",
        "event.published",
        "event.updated",
        "event.cancelled",
        "event.hidden",
        "event.restored",
        "registration.created",
        "registration.cancelled",
        "registration.promoted",
        "registration.checked_in",
        "team.member_added",
        "team.member_removed",
        "media.uploaded",
        "media.deleted",
        "report.ready",
        "report.failed",
        # The second wave's community rows.
        "message.posted",
        "message.deleted",
        "announcement.published",
        "achievement.awarded",
    }
    assert {f"org.eventmanager.{name}" for name in names} <= CATALOG.keys()


def test_emitting_a_type_outside_the_catalog_fails(db_url):
    class Unlisted(CloudEventData):
        cloudevent_type = "org.eventmanager.nothing.happened"

    with pytest.raises(ValueError, match="not in the CloudEvent catalog"), unit_of_work() as s:
        emit(s, Unlisted())


def test_consuming_a_type_outside_the_catalog_fails():
    class Unlisted(CloudEventData):
        cloudevent_type = "org.eventmanager.nothing.happened"

    with pytest.raises(ValueError, match="catalog lacks"):
        Function("x", summary="x").on(Unlisted)


def test_every_emit_in_the_code_names_a_catalog_class():
    """Static check over the source: what `emit(...)` is given is a catalog model."""
    models = {cls.__name__ for cls in CATALOG.values()}
    emitted: set[str] = set()
    for path in (ROOT / "shared").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "emit"
                and len(node.args) == 2
                and isinstance(node.args[1], ast.Call)
            ):
                emitted.add(getattr(node.args[1].func, "id", "?"))
    assert emitted, "no emit() found: the check would prove nothing"
    assert emitted <= models, emitted - models
    assert all(getattr(catalog, name) in CATALOG.values() for name in emitted)


def test_the_row_carries_type_source_subject_and_trace(db_url):
    from shared import logs

    user_id = uuid.uuid4()
    # Named here, not taken from the process: a Celery task applied in this thread earlier in
    # the run names its context "worker" (as it does in a worker process, where that is right).
    function = logs.function_name.set("create_event")
    token = logs.trace_id.set("0af7651916cd43dd8448eb211c80319c")
    span = logs.span_id.set("b7ad6b7169203331")
    try:
        with unit_of_work() as session:
            emit(
                session,
                UserRegistered(
                    user_id=user_id, email="a@x.org", full_name="A", role="participant", locale="en"
                ),
            )
    finally:
        logs.trace_id.reset(token)
        logs.span_id.reset(span)
        logs.function_name.reset(function)
    with unit_of_work() as session:
        row = session.query(OutboxMessage).one()
    assert row.type == "org.eventmanager.user.registered"
    assert row.source == "/eventmanager/create_event"
    assert row.subject == str(user_id)
    assert row.traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert row.data["email"] == "a@x.org"


def test_rendered_files_match_the_declarations():
    assert render(load_functions(), check=True) == []
