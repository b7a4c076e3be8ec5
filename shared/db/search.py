"""Plain-text search with LIKE: the user's text matches literally."""

from __future__ import annotations


def contains_pattern(text: str) -> str:
    """An `ILIKE ... ESCAPE '\\'` pattern for rows containing `text`; no wildcards smuggled in."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
