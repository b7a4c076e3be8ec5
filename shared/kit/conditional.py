"""Conditional GETs (RFC 9110): an ETag from the body, Last-Modified from the data, and 304
when the client's copy is current, so calendar apps polling a feed cost a hash, not a body."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def conditional_response(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    last_modified: datetime | None,
    headers: dict[str, str] | None = None,
) -> Response:
    etag = entity_tag(body)
    validators = {"ETag": etag, **(headers or {})}
    if last_modified is not None:
        validators["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if _not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=validators)
    return Response(body, media_type=media_type, headers=validators)


def _not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        client_copy = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if client_copy.tzinfo is None:
        return False
    # HTTP dates have whole seconds.
    return last_modified.replace(microsecond=0) <= client_copy
