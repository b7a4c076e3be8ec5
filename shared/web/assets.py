"""Static files under names that carry a hash of their bytes (`app.3f9c1e2a.css`), so they
are cached for a year and a new version is a new name: no stale CSS after a deploy."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from starlette.responses import Response

LONG_CACHE = "public, max-age=31536000, immutable"


@dataclass
class Assets:
    folder: Path
    prefix: str = "/static/"
    _by_name: dict[str, str] = field(default_factory=dict, init=False)
    _files: dict[str, tuple[bytes, str]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for path in sorted(self.folder.iterdir()):
            if not path.is_file():
                continue
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()[:12]
            served = f"{path.stem}.{digest}{path.suffix}"
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self._by_name[path.name] = self.prefix + served
            self._files[served] = (content, media_type)

    def url(self, name: str) -> str:
        """The fingerprinted address of a file of the folder (templates call `asset(name)`)."""
        return self._by_name[name]

    def response(self, served: str) -> Response | None:
        found = self._files.get(served)
        if found is None:
            return None
        content, media_type = found
        return Response(
            content,
            media_type=media_type,
            headers={"Cache-Control": LONG_CACHE, "X-Content-Type-Options": "nosniff"},
        )
