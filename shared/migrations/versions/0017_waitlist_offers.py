"""waitlist offers: an event's waitlist mode and the offered registration

Revision ID: 0017_waitlist_offers
Revises: 0016_registration_questions
Create Date: 2026-12-04 13:30:00

Events get `waitlist_mode` (auto, today's behaviour, or offer), `offer_hours` and
`auto_before_start_hours`; registrations get the status `offered` and `offer_expires_at`,
with a partial index for the expiry sweep. Existing events stay in auto mode.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017_waitlist_offers'
down_revision: str | None = '0016_registration_questions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_BEFORE = "'confirmed', 'waitlisted', 'checked_in', 'cancelled'"
STATUSES_AFTER = "'confirmed', 'waitlisted', 'offered', 'checked_in', 'cancelled'"


def upgrade() -> None:
    op.add_column('events', sa.Column('waitlist_mode', sa.Enum('auto', 'offer', name='waitlist_mode', native_enum=False, create_constraint=True, length=10), server_default='auto', nullable=False))
    op.add_column('events', sa.Column('offer_hours', sa.Integer(), server_default='24', nullable=False))
    op.add_column('events', sa.Column('auto_before_start_hours', sa.Integer(), server_default='24', nullable=False))
    op.create_check_constraint(op.f('ck_events_offer_hours_range'), 'events', 'offer_hours BETWEEN 1 AND 72')
    op.create_check_constraint(op.f('ck_events_auto_before_start_hours_range'), 'events', 'auto_before_start_hours BETWEEN 0 AND 168')
    op.add_column('registrations', sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f('ck_registrations_status'), 'registrations', type_='check')
    op.create_check_constraint(op.f('ck_registrations_status'), 'registrations', f'status IN ({STATUSES_AFTER})')
    op.create_index('ix_registrations_offer_expiry', 'registrations', ['offer_expires_at'], unique=False, postgresql_where="status = 'offered'")


def downgrade() -> None:
    # Offers held then go back to the waitlist (auto mode promotes from it again).
    op.execute("UPDATE events SET waitlist_count = waitlist_count + o.n, seats_taken = seats_taken - o.n "
               "FROM (SELECT event_id, count(*) AS n FROM registrations WHERE status = 'offered' GROUP BY event_id) o "
               "WHERE events.id = o.event_id")
    op.execute("UPDATE registrations SET status = 'waitlisted' WHERE status = 'offered'")
    op.drop_index('ix_registrations_offer_expiry', table_name='registrations', postgresql_where="status = 'offered'")
    op.drop_constraint(op.f('ck_registrations_status'), 'registrations', type_='check')
    op.create_check_constraint(op.f('ck_registrations_status'), 'registrations', f'status IN ({STATUSES_BEFORE})')
    op.drop_column('registrations', 'offer_expires_at')
    op.drop_constraint(op.f('ck_events_auto_before_start_hours_range'), 'events', type_='check')
    op.drop_constraint(op.f('ck_events_offer_hours_range'), 'events', type_='check')
    op.drop_column('events', 'auto_before_start_hours')
    op.drop_column('events', 'offer_hours')
    op.drop_column('events', 'waitlist_mode')
