"""messaging

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dead_letters',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('cloudevent_id', sa.String(length=200), nullable=False),
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('cloudevent_type', sa.String(length=200), nullable=False),
    sa.Column('cloudevent', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letters'))
    )
    op.create_index(op.f('ix_dead_letters_cloudevent_id'), 'dead_letters', ['cloudevent_id'], unique=False)
    op.create_table('processed_cloudevents',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('cloudevent_id', sa.String(length=200), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'cloudevent_id', name=op.f('pk_processed_cloudevents'))
    )
    op.create_table('local_deliveries',
    sa.Column('outbox_id', sa.Uuid(), nullable=False),
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_local_deliveries_outbox_id_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outbox_id', 'consumer', name=op.f('pk_local_deliveries'))
    )
    op.create_index('ix_local_deliveries_due', 'local_deliveries', ['due_at'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('email_status', sa.Enum('pending', 'sending', 'sent', 'failed', name='status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index('ix_notifications_unsent', 'notifications', ['enqueued_at'], unique=False, postgresql_where="email_status IN ('pending', 'sending')")
    op.create_index(op.f('ix_notifications_user_id'), 'notifications', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notifications_user_id'), table_name='notifications')
    op.drop_index('ix_notifications_unsent', table_name='notifications', postgresql_where="email_status IN ('pending', 'sending')")
    op.drop_table('notifications')
    op.drop_index('ix_local_deliveries_due', table_name='local_deliveries')
    op.drop_table('local_deliveries')
    op.drop_table('processed_cloudevents')
    op.drop_index(op.f('ix_dead_letters_cloudevent_id'), table_name='dead_letters')
    op.drop_table('dead_letters')
