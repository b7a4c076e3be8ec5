"""The local backend's download route: a signed link in, the file out (streamed)."""

from __future__ import annotations

from starlette.responses import FileResponse

from shared.errors import NotFound
from shared.storage import get_storage
from shared.storage.base import ObjectMissing, attachment
from shared.storage.links import verify
from shared.storage.local import LocalStorage


def local_download(name: str, expires: str, signature: str, filename: str | None) -> FileResponse:
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        # MinIO/S3 serves its own presigned URLs; this route has nothing to give.
        raise NotFound("No such file.")
    download = verify(name, expires, signature, filename)
    stored = storage.stat(download.key)
    try:
        path = storage.path_of(download.key)
    except ObjectMissing:
        raise NotFound("No such file.") from None
    assert stored is not None
    headers = {
        # What we serve is the user's file, never a page of ours: no sniffing, no scripts.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=300",
    }
    if download.filename:
        headers["Content-Disposition"] = attachment(download.filename)
    return FileResponse(path, media_type=stored.content_type, headers=headers)
