from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from shared.events.schemas import Rating


class UpcomingEvent(BaseModel):
    id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    category: str


class OrganizerProfile(BaseModel):
    id: uuid.UUID
    full_name: str
    # The soonest published, visible events not yet over (all of them: GET
    # /api/v1/events?organizer_id=).
    upcoming_events: list[UpcomingEvent]
    followers: int
    rating: Rating


class FollowedOrganizer(BaseModel):
    organizer_id: uuid.UUID
    full_name: str
    followed_at: datetime


class FollowingList(BaseModel):
    items: list[FollowedOrganizer]
