"""Invalidating the cached reads (shared.events.cache) after every committed change to an
event or a category: a session hook notes what a transaction inserts, changes or deletes, and
the unit of work invalidates their entries right after the commit.

Registered by `shared.events.models` (`watch`, at its end): every process that can change an
event has loaded its model, and a process that only reads the cache never pays for SQLAlchemy.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from shared.db import after_commit
from shared.events.cache_entries import ALL, CATEGORIES, LISTS, PAGES

SEAT_COUNTERS = frozenset({"seats_taken", "waitlist_count", "updated_at"})
_CHANGES = "cache_changes"


def watch(event_model: type[Any], category_model: type[Any]) -> None:
    """Note the changes to rows of these models in every session of the process (called once,
    by the models: the classes are handed over rather than imported, which would be a cycle)."""

    @orm_events.listens_for(Session, "after_flush")
    def _note_changes(session: Session, _context: Any) -> None:
        changes: dict[str, set[str]] | None = session.info.get(_CHANGES)
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, event_model):
                if changes is None:
                    changes = _start_noting(session)
                changes["pages"].add(str(obj.id))
                if obj in session.new or obj in session.deleted or _listed_fields_changed(obj):
                    changes["lists"].add(ALL)
            elif isinstance(obj, category_model):
                if changes is None:
                    changes = _start_noting(session)
                changes["categories"].add(ALL)


def note_counters_changed(session: Session, event_id: uuid.UUID) -> None:
    """For a statement that moved an event's seat counters without the ORM seeing it
    (taking a place in one statement): its page is invalidated after the commit all the same."""
    changes: dict[str, set[str]] | None = session.info.get(_CHANGES)
    if changes is None:
        changes = _start_noting(session)
    changes["pages"].add(str(event_id))


def note_listed_changed(session: Session, event_id: uuid.UUID) -> None:
    """For a statement that changed what the lists show of an event without the ORM seeing it
    (its rating, recounted in one statement): its page and the lists, after the commit."""
    note_counters_changed(session, event_id)
    changes: dict[str, set[str]] = session.info[_CHANGES]
    changes["lists"].add(ALL)


def _start_noting(session: Session) -> dict[str, set[str]]:
    changes: dict[str, set[str]] = {"pages": set(), "lists": set(), "categories": set()}
    session.info[_CHANGES] = changes

    def invalidate() -> None:
        session.info.pop(_CHANGES, None)
        PAGES.invalidate(*changes["pages"])
        LISTS.invalidate(*changes["lists"])
        CATEGORIES.invalidate(*changes["categories"])

    after_commit(session, invalidate)
    return changes


def _listed_fields_changed(event: object) -> bool:
    state = inspect(event)
    return any(attr.history.has_changes() for attr in state.attrs if attr.key not in SEAT_COUNTERS)
