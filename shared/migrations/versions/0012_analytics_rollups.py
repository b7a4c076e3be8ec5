"""analytics rollups

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-27 15:38:35.375065
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


BACKFILL = [
    """
    INSERT INTO analytics_event_totals
    SELECT e.id, e.category_slug, (timezone('UTC', e.starts_at))::date,
           e.status <> 'draft' AND e.moderation = 'approved',
           count(r.id), count(r.id) FILTER (WHERE r.status = 'confirmed'),
           count(r.id) FILTER (WHERE r.status = 'waitlisted'),
           count(r.id) FILTER (WHERE r.status = 'checked_in'),
           count(r.id) FILTER (WHERE r.status = 'cancelled')
    FROM events e LEFT JOIN registrations r ON r.event_id = e.id
    GROUP BY e.id
    """,
    """
    INSERT INTO analytics_event_days
    SELECT event_id, day, sum(made), sum(left_), sum(came)
    FROM (
        SELECT event_id, (timezone('UTC', created_at))::date AS day, 1 AS made, 0 AS left_, 0 AS came
        FROM registrations
        UNION ALL
        SELECT event_id, (timezone('UTC', cancelled_at))::date, 0, 1, 0
        FROM registrations WHERE cancelled_at IS NOT NULL
        UNION ALL
        SELECT event_id, (timezone('UTC', checked_in_at))::date, 0, 0, 1
        FROM registrations WHERE checked_in_at IS NOT NULL
    ) AS happened
    GROUP BY event_id, day
    """,
    """
    INSERT INTO analytics_person_events
    SELECT user_id, event_id, count(*), count(*) FILTER (WHERE status = 'cancelled'),
           count(*) FILTER (WHERE status = 'checked_in'),
           (array_agg(status::text ORDER BY queue_seq DESC))[1], max(created_at)
    FROM registrations
    GROUP BY user_id, event_id
    """,
    """
    INSERT INTO analytics_category_days
    SELECT start_day, category_slug, count(*), sum(registrations)
    FROM analytics_event_totals WHERE listed
    GROUP BY start_day, category_slug
    """,
]


def upgrade() -> None:
    op.create_table('analytics_category_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_slug', sa.String(length=40), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('registrations', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'category_slug', name=op.f('pk_analytics_category_days'))
    )
    op.create_table('analytics_event_days',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('registrations', sa.Integer(), nullable=False),
    sa.Column('cancellations', sa.Integer(), nullable=False),
    sa.Column('check_ins', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'day', name=op.f('pk_analytics_event_days'))
    )
    op.create_table('analytics_event_totals',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('category_slug', sa.String(length=40), nullable=False),
    sa.Column('start_day', sa.Date(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('registrations', sa.Integer(), nullable=False),
    sa.Column('confirmed', sa.Integer(), nullable=False),
    sa.Column('waitlisted', sa.Integer(), nullable=False),
    sa.Column('checked_in', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_analytics_event_totals'))
    )
    op.create_index('ix_analytics_event_totals_category_day', 'analytics_event_totals', ['category_slug', 'start_day'], unique=False, postgresql_where='listed')
    op.create_table('analytics_person_events',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('registrations', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.Column('checked_in', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_analytics_person_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'event_id', name=op.f('pk_analytics_person_events'))
    )
    op.create_index('ix_analytics_person_events_event_id', 'analytics_person_events', ['event_id'], unique=False)
    # Built inside the upgrade's transaction, holding writes to `registrations` meanwhile: on
    # a large installation create it first with CREATE INDEX CONCURRENTLY and the same
    # definition; IF NOT EXISTS then makes this step instant.
    op.create_index(op.f('ix_registrations_event_id'), 'registrations', ['event_id'], unique=False, if_not_exists=True)
    # Existing registrations are counted at once (what `eventmgr analytics rebuild` does).
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index(op.f('ix_registrations_event_id'), table_name='registrations')
    op.drop_index('ix_analytics_person_events_event_id', table_name='analytics_person_events')
    op.drop_table('analytics_person_events')
    op.drop_index('ix_analytics_event_totals_category_day', table_name='analytics_event_totals', postgresql_where='listed')
    op.drop_table('analytics_event_totals')
    op.drop_table('analytics_event_days')
    op.drop_table('analytics_category_days')
