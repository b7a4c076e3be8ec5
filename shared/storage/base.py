"""What every storage backend promises, and the errors callers may see."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from shared.errors import DomainError

# Keys are paths made by our code (`events/<id>/<id>`), never by a client: a narrow alphabet
# keeps them valid S3 names and safe file paths.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
# Multipart part size when the length is unknown (S3's minimum is 5 MiB).
PART_SIZE = 8 * 1024 * 1024
CHUNK = 64 * 1024


class InvalidKey(ValueError):
    pass


def check_key(key: str) -> str:
    if len(key) > 512 or not _KEY.match(key) or ".." in key:
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A prefix is a key ending in `/`: deleting by prefix never reaches beside it."""
    if not prefix.endswith("/"):
        raise InvalidKey(f"a prefix ends with '/': {prefix!r}")
    check_key(prefix[:-1])
    return prefix


class StorageUnavailable(DomainError):
    status = 503
    title = "Storage unavailable"
    slug = "storage-unavailable"


class ObjectMissing(LookupError):
    pass


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str


class Storage(ABC):
    @abstractmethod
    def put(self, key: str, stream: IO[bytes], length: int, content_type: str) -> StoredObject:
        """Store what `stream` yields, read in chunks; `length` -1 when unknown."""

    @abstractmethod
    def presigned_url(self, key: str, expires: timedelta, *, filename: str | None = None) -> str:
        """A GET link valid for `expires`; `filename` makes it download under that name."""

    @abstractmethod
    def stat(self, key: str) -> StoredObject | None:
        """The object's size and type, or None when there is none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one object; removing a missing one is not an error."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under `prefix` (ending in `/`); answers how many."""

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None


def attachment(filename: str) -> str:
    """A Content-Disposition that survives any name: ASCII fallback plus RFC 5987 UTF-8."""
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
