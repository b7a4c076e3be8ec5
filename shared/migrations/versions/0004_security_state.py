"""security state

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('revoked_access_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_revoked_access_tokens'))
    )
    op.create_index(op.f('ix_revoked_access_tokens_expires_at'), 'revoked_access_tokens', ['expires_at'], unique=False)
    op.create_table('revoked_sessions',
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_revoked_sessions'))
    )
    op.create_index(op.f('ix_revoked_sessions_expires_at'), 'revoked_sessions', ['expires_at'], unique=False)
    op.create_table('token_floors',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('valid_after', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_token_floors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_token_floors'))
    )
    op.drop_column('users', 'tokens_valid_after')


def downgrade() -> None:
    op.add_column('users', sa.Column('tokens_valid_after', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True))
    op.drop_table('token_floors')
    op.drop_index(op.f('ix_revoked_sessions_expires_at'), table_name='revoked_sessions')
    op.drop_table('revoked_sessions')
    op.drop_index(op.f('ix_revoked_access_tokens_expires_at'), table_name='revoked_access_tokens')
    op.drop_table('revoked_access_tokens')
