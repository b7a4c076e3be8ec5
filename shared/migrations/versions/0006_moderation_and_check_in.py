"""moderation and check-in

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:25:55.186623
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('abuse_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('reporter_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Uuid(), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_abuse_reports_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_abuse_reports_reporter_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_abuse_reports_resolved_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_abuse_reports'))
    )
    op.create_index(op.f('ix_abuse_reports_reporter_id'), 'abuse_reports', ['reporter_id'], unique=False)
    op.create_index('uq_abuse_reports_open_reporter', 'abuse_reports', ['event_id', 'reporter_id'], unique=True, postgresql_where='resolved_at IS NULL')
    op.add_column('registrations', sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('registrations', 'checked_in_at')
    op.drop_index('uq_abuse_reports_open_reporter', table_name='abuse_reports', postgresql_where='resolved_at IS NULL')
    op.drop_index(op.f('ix_abuse_reports_reporter_id'), table_name='abuse_reports')
    op.drop_table('abuse_reports')
