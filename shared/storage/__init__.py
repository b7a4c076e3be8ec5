"""Object storage: one interface, two backends.

MinIO/S3 through the `minio` client when `S3_ENDPOINT` is set; otherwise a local directory
(`<data dir>/media/`) whose download links are signed, expiring URLs served through the
gateway. Callers only see `get_storage()`: `put` streams, `presigned_url` hands out a link
valid for a while, `delete` and `delete_prefix` are idempotent.
"""

from __future__ import annotations

from shared import process_state
from shared.config import get_settings
from shared.storage.base import (
    InvalidKey,
    ObjectMissing,
    Storage,
    StorageUnavailable,
    StoredObject,
    check_key,
)

__all__ = [
    "InvalidKey",
    "ObjectMissing",
    "Storage",
    "StorageUnavailable",
    "StoredObject",
    "check_key",
    "get_storage",
]


@process_state.cached
def get_storage() -> Storage:
    settings = get_settings()
    if settings.s3_endpoint:
        # Imported only here: the minio client is an extra that local runs may do without.
        from shared.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    from shared.storage.local import LocalStorage

    return LocalStorage(settings.media_dir)
