"""A person's gamification choice and the awards they earned.

An award is one row per (person, rule, scope): the unique key is what makes each rule fire
exactly once however often, in whatever order and however concurrently its CloudEvents arrive.
`scope` is the event's id for rules that apply once per event, empty for once-per-person ones.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, updated_at, uuid_pk


class GamificationChoice(Base):
    """Absent row = the default: off and not public."""

    __tablename__ = "gamification_choices"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool]
    public: Mapped[bool]
    # When they last opted in: only actions from then on earn anything (none retroactively).
    enabled_since: Mapped[datetime | None]
    updated_at: Mapped[datetime] = updated_at()


class Award(Base):
    __tablename__ = "achievement_awards"
    __table_args__ = (
        UniqueConstraint("user_id", "rule", "scope", name="uq_achievement_awards_once"),
        # The leaderboards sum points by period.
        Index("ix_achievement_awards_awarded_at", "awarded_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(64), default="")
    points: Mapped[int]
    awarded_at: Mapped[datetime] = created_at()
