"""Filenames from clients made safe to store, show and put in a Content-Disposition."""

from __future__ import annotations

import re
import unicodedata

from shared.media.kinds import MediaKind

MAX_LENGTH = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]+')
_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,5}$")


def safe_filename(raw: str | None, kind: MediaKind) -> str:
    """The last path segment, without control or reserved characters or leading dots, at
    most MAX_LENGTH characters, ending in the extension of what the file really is (a PNG
    named `scan.pdf` becomes `scan.png`)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _SPACES.sub(" ", _UNSAFE.sub("_", name)).strip(" ._")
    stem, dot, extension = name.rpartition(".")
    if not dot or not _EXTENSION.match(extension):
        stem, extension = name, ""
    if f".{extension.lower()}" not in (kind.extension, *kind.aliases):
        extension = kind.extension[1:]
    stem = stem.strip(" ._")[: MAX_LENGTH - len(extension) - 1] or "file"
    return f"{stem}.{extension.lower()}"
