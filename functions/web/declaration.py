"""The web front end's declaration, shared by its page modules (public.py, account.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query

from shared.config import get_settings
from shared.kit import Function, Scaling

fn = Function(
    "web",
    summary="The web front end: pages for people, from the public API.",
    extras=("web",),
    scaling=Scaling(max_scale=10, concurrency=50),
    # An organizer's upload passes through on its way to the media route, which holds the
    # file itself to MEDIA_MAX_BYTES; this leaves room for the multipart envelope around it.
    max_body_bytes=get_settings().media_max_bytes + 64 * 1024,
)
# Pages are left out of the OpenAPI document: they are for browsers, not API clients.
PAGE: dict[str, Any] = {"include_in_schema": False}
# Inputs are taken as they come and checked here or by the API: a person gets a page that
# says what is wrong, never a 422 document (bodies stay within MAX_BODY_BYTES).
Text = Annotated[str, Query()]
FormText = Annotated[str, Form()]
MAX_TEXT = 200
