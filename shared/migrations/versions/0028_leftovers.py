"""the statistics count offered seats apart

Revision ID: 0028_leftovers
Revises: 0027_series_ids
Create Date: 2026-12-04 20:55:00

`analytics_event_totals.offered`: registrations whose status is `offered` (a seat held until
the offer expires), counted in `registrations` but neither confirmed nor waitlisted. Filled
from the registrations for the events already rolled up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0028_leftovers'
down_revision: str | None = '0027_series_ids'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'analytics_event_totals',
        sa.Column('offered', sa.Integer(), nullable=False, server_default='0'),
    )
    op.execute(
        "UPDATE analytics_event_totals t SET offered = o.n FROM ("
        " SELECT event_id, count(*) AS n FROM registrations WHERE status = 'offered'"
        " GROUP BY event_id) o WHERE o.event_id = t.event_id"
    )
    op.alter_column('analytics_event_totals', 'offered', server_default=None)


def downgrade() -> None:
    op.drop_column('analytics_event_totals', 'offered')
