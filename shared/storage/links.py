"""Signed, expiring download links of the local backend, served through the gateway.

A link names the object (its key, base64url), when it stops working and the name to
download under; an HMAC-SHA256 over the three with `STORAGE_URL_SECRET` proves we made it.
Whoever holds the link may download until it expires, as with an S3 presigned URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from shared import process_state
from shared.config import get_settings
from shared.errors import DomainError, NotFound
from shared.security.instance_keys import instance_key
from shared.storage.base import InvalidKey, check_key

# The public route that serves them (declared by the `upload_media` function).
DOWNLOAD_PATH = "/api/v1/files/{name}"


class LinkRefused(DomainError):
    status = 403
    title = "Download link refused"
    slug = "download-link-refused"


@dataclass(frozen=True)
class Download:
    key: str
    filename: str | None


@process_state.cached
def _key() -> bytes:
    return instance_key("storage_url_secret", "download links work only on this instance")


def _signature(key: str, expires: int, filename: str) -> str:
    message = f"{key}\n{expires}\n{filename}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _name(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).rstrip(b"=").decode()


def signed_url(key: str, expires: timedelta, filename: str | None = None) -> str:
    until = int(time.time() + expires.total_seconds())
    query = {"expires": str(until)}
    if filename:
        query["filename"] = filename
    query["signature"] = _signature(key, until, filename or "")
    base = get_settings().public_url.rstrip("/")
    return f"{base}{DOWNLOAD_PATH.format(name=_name(key))}?{urlencode(query)}"


def verify(name: str, expires: str, signature: str, filename: str | None) -> Download:
    """The object a link points at, once its signature and expiry hold; else 403 (404 for a
    name that is no key at all)."""
    try:
        key = check_key(base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, InvalidKey, ValueError):
        raise NotFound("No such file.") from None
    if not (expires.isascii() and expires.isdigit()) or len(expires) > 12:  # "²" is a digit
        raise LinkRefused("The link is not valid.")
    expected = _signature(key, int(expires), filename or "")
    # Constant time: a forger learns nothing from how long a refusal takes.
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise LinkRefused("The link is not valid.")
    if int(expires) < time.time():
        raise LinkRefused("The link has expired; ask for a new one.")
    return Download(key, filename)
