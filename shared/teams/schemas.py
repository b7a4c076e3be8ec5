from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, EmailStr, Field

from shared.teams.models import TeamRole
from shared.validation import RequestModel


class TeamMemberIn(RequestModel):
    email: EmailStr = Field(max_length=320)
    role: TeamRole


class TeamMemberPublic(BaseModel):
    user_id: uuid.UUID
    email: str
    role: TeamRole
    full_name: str
    added_by: uuid.UUID | None
    added_at: datetime


class TeamList(BaseModel):
    items: list[TeamMemberPublic]
