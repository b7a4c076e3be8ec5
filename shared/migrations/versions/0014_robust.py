"""confirmed counts checked-in people in the statistics' rollups too

Revision ID: 0014_robust
Revises: 0013
Create Date: 2026-12-03 23:55:00

`analytics_event_totals.confirmed` counted registrations whose status is `confirmed`; the
statistics now mean by it what the reports always did (shared.registrations.models.
CONFIRMED_STATUSES): everyone holding a seat, checked-in people included.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014_robust'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE analytics_event_totals SET confirmed = confirmed + checked_in")


def downgrade() -> None:
    op.execute("UPDATE analytics_event_totals SET confirmed = confirmed - checked_in")
