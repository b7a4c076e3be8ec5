from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class DayFigures(BaseModel):
    """One UTC day: registrations made, cancellations made and check-ins made that day."""

    date: date
    registrations: int
    cancellations: int
    check_ins: int


class EventStatistics(BaseModel):
    event_id: uuid.UUID
    # Every registration ever made; confirmed, waitlisted, offered and cancelled split it by
    # current status (checked_in is the part of confirmed that came).
    registrations: int
    confirmed: int
    waitlisted: int
    offered: int = Field(
        description="Offer mode: seats held for people until their offer expires, neither "
        "confirmed nor waitlisted yet"
    )
    cancelled: int
    checked_in: int
    by_day: list[DayFigures]


class PopularCategory(BaseModel):
    category: str
    events: int
    registrations: int


class PopularCategories(BaseModel):
    items: list[PopularCategory]


class ActivityEvent(BaseModel):
    event_id: uuid.UUID
    title: str
    starts_at: datetime
    # Of the person's latest registration for it.
    status: str
    registered_at: datetime
    # Hidden by the moderators: the title is a placeholder.
    withdrawn: bool = False


class UserActivity(BaseModel):
    user_id: uuid.UUID
    registered: int
    attended: int
    cancelled: int
    events: list[ActivityEvent]
