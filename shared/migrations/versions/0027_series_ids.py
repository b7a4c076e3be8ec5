"""events carry their series; reports are listed by event

Revision ID: 0027_series_ids
Revises: 0024_achievements
Create Date: 2026-12-04 19:40:00

`events.series_id` is what the event page and the lists show (`series_id`), read with the
event's own row; it is backfilled from `series_occurrences`. The reports of an event are
listed newest first (GET /events/{id}/reports): an index on (event_id, created_at).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027_series_ids'
down_revision: str | None = '0024_achievements'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('events', sa.Column('series_id', sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f('fk_events_series_id_series'), 'events', 'series', ['series_id'], ['id'],
        ondelete='SET NULL',
    )
    op.create_index(op.f('ix_events_series_id'), 'events', ['series_id'], unique=False)
    op.execute(
        "UPDATE events SET series_id = o.series_id FROM series_occurrences o "
        "WHERE o.event_id = events.id"
    )
    op.create_index(
        'ix_reports_event', 'reports', ['event_id', 'created_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_reports_event', table_name='reports')
    op.drop_index(op.f('ix_events_series_id'), table_name='events')
    op.drop_constraint(op.f('fk_events_series_id_series'), 'events', type_='foreignkey')
    op.drop_column('events', 'series_id')
