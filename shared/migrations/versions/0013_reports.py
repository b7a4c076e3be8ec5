"""reports

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-27 15:42:12.469214
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('requester_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('event_attendance', 'organizer_summary', name='kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('format', sa.Enum('csv', 'xlsx', 'pdf', name='format', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.Column('organizer_id', sa.Uuid(), nullable=True),
    sa.Column('period_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('period_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('pending', 'running', 'ready', 'failed', name='status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('object_key', sa.String(length=512), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('row_count', sa.BigInteger(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_reports_event_id_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organizer_id'], ['users.id'], name=op.f('fk_reports_organizer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_reports_requester_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    op.create_index('ix_reports_created', 'reports', ['created_at'], unique=False)
    op.create_index('ix_reports_requester', 'reports', ['requester_id', 'created_at'], unique=False)
    op.create_index('ix_reports_unfinished', 'reports', ['enqueued_at'], unique=False, postgresql_where="status IN ('pending', 'running')")


def downgrade() -> None:
    op.drop_index('ix_reports_unfinished', table_name='reports', postgresql_where="status IN ('pending', 'running')")
    op.drop_index('ix_reports_requester', table_name='reports')
    op.drop_index('ix_reports_created', table_name='reports')
    op.drop_table('reports')
