"""series, and calendar imports recognized by UID

Revision ID: 0019_series
Revises: 0018_api_keys
Create Date: 2026-12-04 16:20:46

`series` holds a rule and the template of its events, `series_occurrences` each date the rule
made with its event (NULL once deleted, so the date stays an EXDATE). `calendar_imports` ties
an organizer's imported entry (UID and RECURRENCE-ID, hashed) to the draft made from it, so
importing the file again updates that draft; its primary key stops concurrent imports of one
file from making two.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0019_series'
down_revision: str | None = '0018_api_keys'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('series',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organizer_id', sa.Uuid(), nullable=False),
    sa.Column('rrule', sa.String(length=500), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fields', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['organizer_id'], ['users.id'], name=op.f('fk_series_organizer_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series'))
    )
    op.create_index(op.f('ix_series_organizer_id'), 'series', ['organizer_id'], unique=False)
    op.create_table('calendar_imports',
    sa.Column('organizer_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('uid', sa.Text(), nullable=False),
    sa.Column('recurrence', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_calendar_imports_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organizer_id'], ['users.id'], name=op.f('fk_calendar_imports_organizer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organizer_id', 'key', name=op.f('pk_calendar_imports')),
    sa.UniqueConstraint('event_id', name=op.f('uq_calendar_imports_event_id'))
    )
    op.create_table('series_occurrences',
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('recurrence_id', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_series_occurrences_event_id_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_series_occurrences_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', 'recurrence_id', name=op.f('pk_series_occurrences')),
    sa.UniqueConstraint('event_id', name=op.f('uq_series_occurrences_event_id'))
    )


def downgrade() -> None:
    op.drop_table('series_occurrences')
    op.drop_table('calendar_imports')
    op.drop_index(op.f('ix_series_organizer_id'), table_name='series')
    op.drop_table('series')
