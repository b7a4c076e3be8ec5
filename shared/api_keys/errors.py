"""The errors of managing API keys."""

from __future__ import annotations

from shared.errors import Conflict, NotFound


class ApiKeyNotFound(NotFound):
    title = "API key not found"
    slug = "api-key-not-found"


class TooManyApiKeys(Conflict):
    title = "Too many API keys"
    slug = "too-many-api-keys"
