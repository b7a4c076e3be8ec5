"""list and moderation indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 13:00:32.323201
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The upgrade runs in one transaction (see env.py), so these cannot be built CONCURRENTLY
# here and writes to `events` wait while they build. On a large installation, create them
# by hand first with the same definitions and CREATE INDEX CONCURRENTLY: IF NOT EXISTS then
# makes this step instant.
def upgrade() -> None:
    op.create_index(
        "ix_events_listed_period",
        "events",
        [sa.literal_column("tstzrange(starts_at, ends_at)")],
        unique=False,
        postgresql_using="gist",
        postgresql_where="status = 'published' AND moderation = 'approved'",
        if_not_exists=True,
    )
    op.create_index(
        "ix_events_moderation_queue",
        "events",
        ["created_at", "id"],
        unique=False,
        postgresql_where="moderation <> 'approved'",
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_events_moderation_queue", table_name="events")
    op.drop_index("ix_events_listed_period", table_name="events")
