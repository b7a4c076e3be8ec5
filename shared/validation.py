"""The base of every request body: unknown fields refused, and no NUL character anywhere.

PostgreSQL text cannot hold NUL; refusing it at the door turns what would be a database error
into a 422 that says which field is wrong.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


class RequestModel(BaseModel):
    # hide_input_in_errors: a refused password or token never shows in a logged error text.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError("must not contain the NUL character")
        return value
