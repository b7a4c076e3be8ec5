"""deferred cache invalidations

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 13:01:30.524602
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cache_invalidations',
    sa.Column('version_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('version_key', name=op.f('pk_cache_invalidations'))
    )


def downgrade() -> None:
    op.drop_table('cache_invalidations')
