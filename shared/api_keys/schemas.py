from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.kit.scopes import SCOPES
from shared.validation import RequestModel, SingleLine

ScopeName = Annotated[str, Field(min_length=1, max_length=32)]


class ApiKeyCreate(RequestModel):
    name: Annotated[SingleLine, Field(min_length=1, max_length=100)]
    scopes: list[ScopeName] = Field(
        min_length=1,
        max_length=len(SCOPES),
        description="What the key may do: " + ", ".join(f"`{scope}`" for scope in SCOPES),
    )
    expires_at: AwareDatetime | None = Field(default=None, description="None: until revoked")

    @field_validator("scopes")
    @classmethod
    def _known(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {sorted(SCOPES)}")
        return sorted(set(scopes))

    @field_validator("expires_at")
    @classmethod
    def _in_future(cls, expires_at: datetime | None) -> datetime | None:
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return expires_at


class ApiKeyPublic(BaseModel):
    """A key as listed: never the key itself, which is shown once, at creation."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    scopes: list[str]
    hint: str = Field(description="The key's first characters, to tell keys apart")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="Recorded at most once a minute")


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="Shown this once; only its hash is kept")


class ApiKeyList(BaseModel):
    items: list[ApiKeyPublic]
    # Always null: a person has at most MAX_KEYS keys, all on one page.
    next_cursor: str | None = None
