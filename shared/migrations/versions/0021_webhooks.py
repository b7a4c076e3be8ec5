"""webhooks: organizers' subscribed URLs, their deliveries and each attempt

Revision ID: 0021_webhooks
Revises: 0020_follows
Create Date: 2026-12-04 17:30:00

`webhooks` (URL, catalog types, signing secret, the sender's lease), `webhook_deliveries`
(one per webhook and CloudEvent id: unique, so a redelivered CloudEvent adds nothing) and
`webhook_attempts` (status code, time, a short prefix of the answer).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0021_webhooks'
down_revision: str | None = '0020_follows'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'webhooks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('owner_id', sa.Uuid(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('types', postgresql.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column('description', sa.String(length=500), nullable=True),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('sending_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_webhooks_owner_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
    )
    op.create_index('ix_webhooks_owner', 'webhooks', ['owner_id', 'created_at'], unique=False)
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('webhook_id', sa.Uuid(), nullable=False),
        sa.Column('cloudevent_id', sa.String(length=200), nullable=False),
        sa.Column('cloudevent_type', sa.String(length=200), nullable=False),
        sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('status', sa.Enum('pending', 'delivered', 'failed', name='status', native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_webhook_deliveries_webhook_id_webhooks'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
        sa.UniqueConstraint('webhook_id', 'cloudevent_id', name='uq_webhook_deliveries_cloudevent'),
    )
    op.create_index('ix_webhook_deliveries_log', 'webhook_deliveries', ['webhook_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['next_attempt_at'], unique=False, postgresql_where="status = 'pending'")
    op.create_table(
        'webhook_attempts',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('delivery_id', sa.Uuid(), nullable=False),
        sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.Column('response_prefix', sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], name=op.f('fk_webhook_attempts_delivery_id_webhook_deliveries'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts')),
    )
    op.create_index('ix_webhook_attempts_delivery', 'webhook_attempts', ['delivery_id', 'attempted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_webhook_attempts_delivery', table_name='webhook_attempts')
    op.drop_table('webhook_attempts')
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries', postgresql_where="status = 'pending'")
    op.drop_index('ix_webhook_deliveries_log', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_index('ix_webhooks_owner', table_name='webhooks')
    op.drop_table('webhooks')
