from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from shared.users.models import Role
from shared.validation import RequestModel

Password = Annotated[str, Field(min_length=10, max_length=256)]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class UserCreate(RequestModel):
    email: EmailStr = Field(max_length=320)
    password: Password
    full_name: FullName
    # Admins are made by other admins or the CLI, never by signing up.
    role: Literal["participant", "organizer"] = "participant"


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    email_verified: bool
    created_at: datetime
