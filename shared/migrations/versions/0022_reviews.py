"""verified reviews and the event's rating

Revision ID: 0022_reviews
Revises: 0021_webhooks
Create Date: 2026-12-04 17:10:00

One review per person and event (checked in, enforced by the use case), the organizer's one
reply on the same row, admins' hiding; the event carries its rating as count and sum of the
visible reviews' stars, recounted from the rows by the reviews' consumer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022_reviews'
down_revision: str | None = '0021_webhooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('events', sa.Column('rating_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('events', sa.Column('rating_sum', sa.Integer(), server_default='0', nullable=False))
    op.create_table('reviews',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by', sa.Uuid(), nullable=True),
    sa.Column('reply_text', sa.Text(), nullable=True),
    sa.Column('reply_by', sa.Uuid(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating_range')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_reviews_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hidden_by'], ['users.id'], name=op.f('fk_reviews_hidden_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reply_by'], ['users.id'], name=op.f('fk_reviews_reply_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reviews_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_reviews_event_id'))
    )
    op.create_index('ix_reviews_event_listed', 'reviews', ['event_id', 'created_at', 'id'], unique=False, postgresql_where='hidden_at IS NULL')
    op.create_index('ix_reviews_user', 'reviews', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_reviews_user', table_name='reviews')
    op.drop_index('ix_reviews_event_listed', table_name='reviews', postgresql_where='hidden_at IS NULL')
    op.drop_table('reviews')
    op.drop_column('events', 'rating_sum')
    op.drop_column('events', 'rating_count')
