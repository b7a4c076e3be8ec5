"""registration questions: an event's form and each registration's answers

Revision ID: 0016_registration_questions
Revises: 0015_event_team
Create Date: 2026-12-04 13:30:00

Both columns are JSONB with a constant default: PostgreSQL adds them without rewriting the
tables. `registrations.answers` holds each answer with the question's label as asked, so
answers stay readable after the questions change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0016_registration_questions'
down_revision: str | None = '0015_event_team'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('events', sa.Column('questions', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column('registrations', sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False))


def downgrade() -> None:
    op.drop_column('registrations', 'answers')
    op.drop_column('events', 'questions')
