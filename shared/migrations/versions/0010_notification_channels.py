"""notification channels

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 15:17:05.768726
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


STATUSES = "'pending', 'sending', 'sent', 'failed'"


def upgrade() -> None:
    # A mail may now be skipped (channel turned off, address suppressed).
    op.drop_constraint(op.f('ck_notifications_status'), 'notifications', type_='check')
    op.create_check_constraint(
        op.f('ck_notifications_status'), 'notifications', f"email_status IN ({STATUSES}, 'skipped')"
    )
    op.create_table('mail_suppressions',
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=50), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('address', name=op.f('pk_mail_suppressions'))
    )
    op.create_table('notification_settings',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('push', sa.Boolean(), nullable=False),
    sa.Column('reminders', postgresql.ARRAY(sa.String(length=8)), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings'))
    )
    op.create_table('push_subscriptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    op.create_index(op.f('ix_push_subscriptions_user_id'), 'push_subscriptions', ['user_id'], unique=False)
    op.create_table('reminders_sent',
    sa.Column('registration_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notification_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_reminders_sent_notification_id_notifications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_reminders_sent_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'kind', 'starts_at', name=op.f('pk_reminders_sent'))
    )
    # Deleting a person's notifications (account deletion) finds their reminders by it.
    op.create_index(op.f('ix_reminders_sent_notification_id'), 'reminders_sent', ['notification_id'], unique=False)
    op.add_column('notifications', sa.Column('push_status', sa.Enum('pending', 'sending', 'sent', 'failed', 'skipped', name='push_status', native_enum=False, create_constraint=True, length=20), nullable=True))
    op.add_column('notifications', sa.Column('push_attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('notifications', sa.Column('push_claimed_until', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_notifications_push_unsent', 'notifications', ['enqueued_at'], unique=False, postgresql_where="push_status IN ('pending', 'sending')")


def downgrade() -> None:
    op.drop_index('ix_notifications_push_unsent', table_name='notifications', postgresql_where="push_status IN ('pending', 'sending')")
    op.drop_column('notifications', 'push_claimed_until')
    op.drop_column('notifications', 'push_attempts')
    op.drop_column('notifications', 'push_status')
    op.drop_index(op.f('ix_reminders_sent_notification_id'), table_name='reminders_sent')
    op.drop_table('reminders_sent')
    op.drop_index(op.f('ix_push_subscriptions_user_id'), table_name='push_subscriptions')
    op.drop_table('push_subscriptions')
    op.drop_table('notification_settings')
    op.drop_table('mail_suppressions')
    op.execute("UPDATE notifications SET email_status = 'failed' WHERE email_status = 'skipped'")
    op.drop_constraint(op.f('ck_notifications_status'), 'notifications', type_='check')
    op.create_check_constraint(
        op.f('ck_notifications_status'), 'notifications', f"email_status IN ({STATUSES})"
    )
