from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from shared.events.schemas import EventPublic


class Answer(BaseModel):
    """One answer as it was given: `label` is the question's wording then, which stays
    when the question is later changed or removed."""

    question_id: str
    label: str
    kind: str
    value: str | bool | list[str]


def answers_of(stored: list[dict[str, Any]]) -> list[Answer]:
    return [Answer.model_construct(**answer) for answer in stored]


class RegistrationPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID
    status: str
    waitlist_position: int | None = None
    # Only while `status` is "offered": the seat is held until then (claim it before).
    offer_expires_at: datetime | None = None


class MyRegistration(RegistrationPublic):
    created_at: datetime
    event: EventPublic


class MyPlace(BaseModel):
    """The caller's own standing at one event: what the shared event page cannot say."""

    # The caller's active registration (not cancelled), or null.
    registration: RegistrationPublic | None
    # The caller's part in organizing it: the organizer, a team role, or null (admins too:
    # they hold every right without a part).
    viewer_role: Literal["owner", "co_organizer", "steward"] | None


class MyRegistrations(BaseModel):
    items: list[MyRegistration]
    next_cursor: str | None
