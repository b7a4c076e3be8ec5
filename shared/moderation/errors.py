"""The errors of moderating events."""

from __future__ import annotations

from shared.errors import Conflict


class ModerationConflict(Conflict):
    title = "Moderation action does not apply"
    slug = "moderation-conflict"
