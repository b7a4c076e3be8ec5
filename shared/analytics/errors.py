"""The errors of reading analytics."""

from __future__ import annotations

from shared.errors import Forbidden


class NotYourActivity(Forbidden):
    title = "Not your activity"
    slug = "not-your-activity"
