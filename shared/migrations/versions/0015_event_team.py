"""event teams: co-organizers and stewards

Revision ID: 0015_event_team
Revises: 0014_robust
Create Date: 2026-12-04 10:20:00

One row per person on an event's team; the organizer is never a row (they hold every right).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_event_team'
down_revision: str | None = '0014_robust'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event_team_members',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.Enum('co_organizer', 'steward', name='team_role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('added_by', sa.Uuid(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['users.id'], name=op.f('fk_event_team_members_added_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_team_members_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'user_id', name=op.f('pk_event_team_members'))
    )
    op.create_index('ix_event_team_members_user', 'event_team_members', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_team_members_user', table_name='event_team_members')
    op.drop_table('event_team_members')
