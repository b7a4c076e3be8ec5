"""The embedded mode's storage: files under `<data dir>/media/`, written atomically.

Objects live in `objects/<key>`, their content type in `meta/<key>.json`; a download link is
a signed URL to the gateway (`shared.storage.links`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import IO

from shared.storage.base import (
    CHUNK,
    ObjectMissing,
    Storage,
    StoredObject,
    check_key,
    check_prefix,
)
from shared.storage.links import signed_url


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.meta = root / "meta"

    def _paths(self, key: str) -> tuple[Path, Path]:
        check_key(key)
        return self.objects / key, self.meta / f"{key}.json"

    def put(self, key: str, stream: IO[bytes], length: int, content_type: str) -> StoredObject:
        target, meta = self._paths(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        meta.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: a reader never sees half an object.
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                size = _copy(stream, handle)
            if length >= 0 and size != length:
                raise ValueError(f"expected {length} bytes, the stream gave {size}")
            meta.write_text(json.dumps({"content_type": content_type, "size": size}))
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return StoredObject(key, size, content_type)

    def presigned_url(self, key: str, expires: timedelta, *, filename: str | None = None) -> str:
        check_key(key)
        return signed_url(key, expires, filename)

    def stat(self, key: str) -> StoredObject | None:
        target, meta = self._paths(key)
        if not target.is_file():
            return None
        content_type = "application/octet-stream"
        with contextlib.suppress(OSError, ValueError):
            content_type = json.loads(meta.read_text())["content_type"]
        return StoredObject(key, target.stat().st_size, content_type)

    def path_of(self, key: str) -> Path:
        """The file behind a key, for the download route."""
        target, _ = self._paths(key)
        if not target.is_file():
            raise ObjectMissing(key)
        return target

    def delete(self, key: str) -> None:
        target, meta = self._paths(key)
        target.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        folder = self.objects / prefix.rstrip("/")
        count = sum(1 for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 0
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(self.meta / prefix.rstrip("/"), ignore_errors=True)
        return count


def _copy(source: IO[bytes], target: IO[bytes]) -> int:
    size = 0
    while chunk := source.read(CHUNK):
        target.write(chunk)
        size += len(chunk)
    return size
