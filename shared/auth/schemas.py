from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.validation import RequestModel


class LoginRequest(RequestModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)
    # What an earlier sign-in gave this client (also read from the `eventmgr_device` cookie):
    # someone guessing this account's password elsewhere does not slow it down.
    device_token: str | None = Field(default=None, min_length=1, max_length=512)


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    # Given at sign-in only: present it at the next sign-ins from this client.
    device_token: str | None = None


class LogoutRequest(RequestModel):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=256)
