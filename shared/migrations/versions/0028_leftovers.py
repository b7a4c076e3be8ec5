"""the statistics count offered seats apart; a deleted message finds its notices

Revision ID: 0028_leftovers
Revises: 0027_series_ids
Create Date: 2026-12-04 20:55:00

`analytics_event_totals.offered`: registrations whose status is `offered` (a seat held until
the offer expires), counted in `registrations` but neither confirmed nor waitlisted. Filled
from the registrations for the events already rolled up.

`ix_notifications_message`: the reply and mention notices by the message they quote, for
`notify` to withdraw those still unread when the message is deleted.
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
    op.create_index(
        'ix_notifications_message',
        'notifications',
        [sa.text("(payload ->> 'message_id')")],
        postgresql_where=sa.text("kind IN ('discussion_reply', 'discussion_mention')"),
    )


def downgrade() -> None:
    op.drop_index('ix_notifications_message', table_name='notifications')
    op.drop_column('analytics_event_totals', 'offered')
