from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

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


class UserProfile(UserPublic):
    locale: str
    timezone: str


class AdminUserView(UserProfile):
    """What an admin sees of an account: also whether it is blocked."""

    is_active: bool


class ProfileUpdate(RequestModel):
    full_name: FullName | None = None
    locale: Literal["en", "ru"] | None = None
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError("unknown IANA time zone")
        return value


class PasswordChange(RequestModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: Password


class AccountDeletion(RequestModel):
    password: str = Field(min_length=1, max_length=256)
