"""organizers followed: follows, and one fan-out record per published event

Revision ID: 0020_follows
Revises: 0019_series
Create Date: 2026-12-04 17:00:00

A person follows organizers; each published event's followers are told once, a page at a
time, from where `follower_fanouts.after_follower` says the last page ended.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020_follows'
down_revision: str | None = '0019_series'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('follows',
    sa.Column('follower_id', sa.Uuid(), nullable=False),
    sa.Column('organizer_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['follower_id'], ['users.id'], name=op.f('fk_follows_follower_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organizer_id'], ['users.id'], name=op.f('fk_follows_organizer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('follower_id', 'organizer_id', name=op.f('pk_follows'))
    )
    op.create_index('ix_follows_organizer_follower', 'follows', ['organizer_id', 'follower_id'], unique=False)
    op.create_table('follower_fanouts',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('after_follower', sa.Uuid(), nullable=True),
    sa.Column('notified', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_follower_fanouts_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_follower_fanouts'))
    )


def downgrade() -> None:
    op.drop_table('follower_fanouts')
    op.drop_index('ix_follows_organizer_follower', table_name='follows')
    op.drop_table('follows')
