"""What a file is, decided by its first bytes (magic numbers), never by its name or the
client's Content-Type."""

from __future__ import annotations

from dataclasses import dataclass

# Enough bytes to tell every accepted kind apart.
SNIFF_BYTES = 16


@dataclass(frozen=True)
class MediaKind:
    content_type: str
    extension: str
    # The Pillow format that must decode it; None for documents kept as they are.
    image_format: str | None
    # Other extensions a file of this kind may carry in its name.
    aliases: tuple[str, ...] = ()


JPEG = MediaKind("image/jpeg", ".jpg", "JPEG", (".jpeg", ".jpe", ".jfif"))
PNG = MediaKind("image/png", ".png", "PNG")
WEBP = MediaKind("image/webp", ".webp", "WEBP")
GIF = MediaKind("image/gif", ".gif", "GIF")
PDF = MediaKind("application/pdf", ".pdf", None)
ACCEPTED = (JPEG, PNG, WEBP, GIF, PDF)


def sniff(head: bytes) -> MediaKind | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head.startswith(b"%PDF-"):
        return PDF
    return None
