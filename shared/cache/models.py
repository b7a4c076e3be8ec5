from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at


class PendingInvalidation(Base):
    """A cache version bump Redis refused after a commit: `sweep_tasks` retries it, so a
    Redis hiccup at the wrong moment cannot leave a stale page in place for a whole TTL."""

    __tablename__ = "cache_invalidations"

    version_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = created_at()
