"""achievements: a person's gamification choice and their awards

Revision ID: 0024_achievements
Revises: 0023_discussions
Create Date: 2026-12-04 17:20:00

Nobody has opted in yet, so nothing is backfilled: actions before opting in earn nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024_achievements'
down_revision: str | None = '0023_discussions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'gamification_choices',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('enabled_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_gamification_choices_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_gamification_choices')),
    )
    op.create_table(
        'achievement_awards',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=False),
        sa.Column('scope', sa.String(length=64), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('awarded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_achievement_awards_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_achievement_awards')),
        sa.UniqueConstraint('user_id', 'rule', 'scope', name='uq_achievement_awards_once'),
    )
    op.create_index('ix_achievement_awards_awarded_at', 'achievement_awards', ['awarded_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_achievement_awards_awarded_at', table_name='achievement_awards')
    op.drop_table('achievement_awards')
    op.drop_table('gamification_choices')
