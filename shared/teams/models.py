from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at


class TeamRole(StrEnum):
    co_organizer = "co_organizer"
    steward = "steward"


class TeamMember(Base):
    """One person on one event's team. The organizer is never a row: they hold every right."""

    __tablename__ = "event_team_members"
    # "My events": the events a person is on the team of.
    __table_args__ = (Index("ix_event_team_members_user", "user_id"),)

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[TeamRole] = mapped_column(
        Enum(TeamRole, native_enum=False, length=20, create_constraint=True, name="team_role")
    )
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = created_at()
