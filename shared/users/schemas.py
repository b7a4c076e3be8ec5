from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from shared.users.models import Role
from shared.validation import RequestModel, SingleLine, TimeZoneName

Password = Annotated[str, Field(min_length=10, max_length=256)]
FullName = Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)]


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


class UserProfile(UserPublic):
    locale: str
    timezone: str


class AdminUserView(UserProfile):
    """What an admin sees of an account: also whether it is blocked."""

    is_active: bool


class ProfileUpdate(RequestModel):
    full_name: FullName | None = None
    locale: Literal["en", "ru"] | None = None
    timezone: TimeZoneName | None = Field(default=None, max_length=64)


class PasswordChange(RequestModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: Password


class AccountDeletion(RequestModel):
    password: str = Field(min_length=1, max_length=256)
