"""What the achievements routes take and answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Gamification(BaseModel):
    enabled: bool = False
    # Shown on the leaderboards (only while enabled).
    public: bool = False


class GamificationUpdate(Gamification):
    model_config = ConfigDict(extra="forbid")


class Achievement(BaseModel):
    code: str
    name: str
    awarded_at: datetime


class ReliabilityOut(BaseModel):
    attended: int
    no_shows: int
    late_cancellations: int


class MyAchievements(BaseModel):
    points: int
    achievements: list[Achievement]
    reliability: ReliabilityOut


class Period(StrEnum):
    month = "month"
    year = "year"
    all = "all"


class LeaderboardRow(BaseModel):
    user_id: uuid.UUID
    display_name: str
    points: int


class Leaderboard(BaseModel):
    items: list[LeaderboardRow]
