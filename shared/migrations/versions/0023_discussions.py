"""event discussions: messages (announcements among them) and each event's stream counter

Revision ID: 0023_discussions
Revises: 0022_reviews
Create Date: 2026-12-04 17:30:00

`seq` numbers every change of one event's discussion (a post, a deletion) for the live
stream's `Last-Event-ID`; a deleted message stays as a tombstone with its `deleted_seq`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023_discussions'
down_revision: str | None = '0022_reviews'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('discussion_counters',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_discussion_counters_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_discussion_counters'))
    )
    op.create_table('discussion_messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.Enum('message', 'announcement', name='message_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reply_to', sa.Uuid(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by', sa.Uuid(), nullable=True),
    sa.Column('deleted_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_discussion_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deleted_by'], ['users.id'], name=op.f('fk_discussion_messages_deleted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_discussion_messages_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reply_to'], ['discussion_messages.id'], name=op.f('fk_discussion_messages_reply_to_discussion_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discussion_messages')),
    sa.UniqueConstraint('event_id', 'seq', name=op.f('uq_discussion_messages_event_id'))
    )
    op.create_index('ix_discussion_messages_deleted_seq', 'discussion_messages', ['event_id', 'deleted_seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_discussion_messages_deleted_seq', table_name='discussion_messages')
    op.drop_table('discussion_messages')
    op.drop_table('discussion_counters')
