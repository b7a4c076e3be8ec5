"""What can go wrong with an upload, each with its HTTP status (mapped by the kit)."""

from __future__ import annotations

from shared.errors import Conflict, DomainError, NotFound


class MediaTooLarge(DomainError):
    status = 413
    title = "File too large"
    slug = "media-too-large"


class UnsupportedMedia(DomainError):
    status = 415
    title = "Unsupported file type"
    slug = "unsupported-media-type"


class ImageTooBig(DomainError):
    """Decoding it would take more memory than any event picture needs (a decompression
    bomb is a small file that claims huge dimensions)."""

    status = 422
    title = "Image dimensions too large"
    slug = "image-dimensions-too-large"


class NoFile(DomainError):
    status = 422
    title = "Validation failed"
    slug = "validation-failed"

    def __init__(self, detail: str) -> None:
        super().__init__(
            detail, errors=[{"loc": ["body", "file"], "msg": detail, "type": "value_error"}]
        )


class TooManyMedia(Conflict):
    title = "Too many files"
    slug = "too-many-media"


class MediaNotFound(NotFound):
    title = "Media not found"
    slug = "media-not-found"
