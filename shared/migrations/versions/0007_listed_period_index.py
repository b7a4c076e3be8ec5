"""listed period index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:45:51.219360
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_events_listed_period', 'events', [sa.literal_column('tstzrange(starts_at, ends_at)')], unique=False, postgresql_using='gist', postgresql_where="status = 'published' AND moderation = 'approved'")


def downgrade() -> None:
    op.drop_index('ix_events_listed_period', table_name='events', postgresql_using='gist', postgresql_where="status = 'published' AND moderation = 'approved'")
