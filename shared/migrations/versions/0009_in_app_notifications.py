"""in-app notifications

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 14:20:16.650632
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('notifications', sa.Column('read_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_notifications_inbox', 'notifications', ['user_id', 'created_at', 'id'], unique=False)
    op.drop_index(op.f('ix_notifications_user_id'), table_name='notifications')


def downgrade() -> None:
    op.drop_index('ix_notifications_inbox', table_name='notifications')
    op.create_index(op.f('ix_notifications_user_id'), 'notifications', ['user_id'], unique=False)
    op.drop_column('notifications', 'read_at')
