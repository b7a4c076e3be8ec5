"""Conditional GETs (RFC 9110): an ETag from the body, Last-Modified from the data, and 304
when the client's copy is current, so calendar apps polling a feed cost a hash, not a body.

A body kept in a cache keeps its tag beside it (`Tagged`): a hit is answered, or revalidated,
without hashing the body again."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, NamedTuple

from starlette.requests import Request
from starlette.responses import Response

_ETAG = {"ETag": {"description": "The answer's entity tag", "schema": {"type": "string"}}}
# How the routes that answer conditionally document it (merged into their `responses`).
CONDITIONAL: dict[int | str, dict[str, Any]] = {
    200: {"headers": _ETAG},
    304: {
        "description": "Not Modified: the ETag sent in `If-None-Match` is still current",
        "headers": _ETAG,
    },
}
JSON = "application/json"


class Tagged(NamedTuple):
    """A body and its entity tag, made once where the body is (and headers of this answer
    alone, raw, when it has any: a kept web page's own Content-Security-Policy)."""

    body: bytes
    etag: str
    headers: tuple[tuple[bytes, bytes], ...] = ()

    @classmethod
    def of(cls, body: bytes) -> Tagged:
        return cls(body, entity_tag(body))


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


def tagged_response(
    if_none_match: str | None, tagged: Tagged, headers: Mapping[str, str], media_type: str = JSON
) -> Response:
    """A body whose tag is known already (a cached one): 200 with its ETag, or 304. Sent as it
    is: a cached body is JSON already, not parsed and serialized again."""
    validators = {"ETag": tagged.etag, **headers}
    if none_match(if_none_match, tagged.etag):
        return Response(status_code=304, headers=validators)
    return Response(tagged.body, media_type=media_type, headers=validators)


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names the current tag: the client's copy is current (weak
    comparison, as RFC 9110 13.1.2 asks of a GET)."""
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return none_match(if_none_match, etag)
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
