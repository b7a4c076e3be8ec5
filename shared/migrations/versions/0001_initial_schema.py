"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen here: later edits of the constant must not rewrite history.
DEFAULT_CATEGORIES = {
    'conference': 'Conference',
    'meetup': 'Meetup',
    'workshop': 'Workshop',
    'concert': 'Concert',
    'sports': 'Sports',
    'exhibition': 'Exhibition',
    'other': 'Other',
}

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('categories',
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_categories'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('traceparent', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_unsent', 'outbox', ['created_at'], unique=False, postgresql_where='sent_at IS NULL')
    op.create_table('tags',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_tags_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('participant', 'organizer', 'admin', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('email_verified', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('tokens_valid_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organizer_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('category_slug', sa.String(length=40), nullable=False),
    sa.Column('venue_name', sa.String(length=200), nullable=True),
    sa.Column('venue_address', sa.String(length=500), nullable=True),
    sa.Column('venue_lat', sa.Float(), nullable=True),
    sa.Column('venue_lon', sa.Float(), nullable=True),
    sa.Column('online_url', sa.String(length=2048), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('waitlist_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'cancelled', name='status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('moderation', sa.Enum('approved', 'pending', 'hidden', name='moderation', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('search', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('russian', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B') || setweight(to_tsvector('russian', coalesce(description, '')), 'B')", persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 1', name=op.f('ck_events_capacity_positive')),
    sa.CheckConstraint('capacity IS NULL OR seats_taken <= capacity', name=op.f('ck_events_seats_within_capacity')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_events_ends_after_starts')),
    sa.CheckConstraint('seats_taken >= 0', name=op.f('ck_events_seats_taken_nonnegative')),
    sa.ForeignKeyConstraint(['category_slug'], ['categories.slug'], name=op.f('fk_events_category_slug_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organizer_id'], ['users.id'], name=op.f('fk_events_organizer_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    op.create_index(op.f('ix_events_category_slug'), 'events', ['category_slug'], unique=False)
    op.create_index('ix_events_listed_start', 'events', ['starts_at', 'id'], unique=False, postgresql_where="status = 'published' AND moderation = 'approved'")
    op.create_index(op.f('ix_events_organizer_id'), 'events', ['organizer_id'], unique=False)
    op.create_index('ix_events_search', 'events', ['search'], unique=False, postgresql_using='gin')
    op.create_table('login_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions'))
    )
    op.create_index(op.f('ix_login_sessions_user_id'), 'login_sessions', ['user_id'], unique=False)
    op.create_table('event_tags',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('tag_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_tags_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_event_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'tag_id', name=op.f('pk_event_tags'))
    )
    op.create_index(op.f('ix_event_tags_tag_id'), 'event_tags', ['tag_id'], unique=False)
    op.create_table('refresh_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['login_sessions.id'], name=op.f('fk_refresh_tokens_session_id_login_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash'))
    )
    op.create_index(op.f('ix_refresh_tokens_session_id'), 'refresh_tokens', ['session_id'], unique=False)
    op.create_table('registrations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('confirmed', 'waitlisted', 'checked_in', 'cancelled', name='status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('queue_seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_registrations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations'))
    )
    op.create_index(op.f('ix_registrations_user_id'), 'registrations', ['user_id'], unique=False)
    op.create_index('ix_registrations_waitlist', 'registrations', ['event_id', 'queue_seq'], unique=False, postgresql_where="status = 'waitlisted'")
    op.create_index('uq_registrations_active_person', 'registrations', ['event_id', 'user_id'], unique=True, postgresql_where="status <> 'cancelled'")
    op.bulk_insert(
        sa.table('categories', sa.column('slug', sa.String), sa.column('name', sa.String)),
        [{'slug': slug, 'name': name} for slug, name in DEFAULT_CATEGORIES.items()],
    )


def downgrade() -> None:
    op.drop_index('uq_registrations_active_person', table_name='registrations', postgresql_where="status <> 'cancelled'")
    op.drop_index('ix_registrations_waitlist', table_name='registrations', postgresql_where="status = 'waitlisted'")
    op.drop_index(op.f('ix_registrations_user_id'), table_name='registrations')
    op.drop_table('registrations')
    op.drop_index(op.f('ix_refresh_tokens_session_id'), table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    op.drop_index(op.f('ix_event_tags_tag_id'), table_name='event_tags')
    op.drop_table('event_tags')
    op.drop_index(op.f('ix_login_sessions_user_id'), table_name='login_sessions')
    op.drop_table('login_sessions')
    op.drop_index('ix_events_search', table_name='events', postgresql_using='gin')
    op.drop_index(op.f('ix_events_organizer_id'), table_name='events')
    op.drop_index('ix_events_listed_start', table_name='events', postgresql_where="status = 'published' AND moderation = 'approved'")
    op.drop_index(op.f('ix_events_category_slug'), table_name='events')
    op.drop_table('events')
    op.drop_table('users')
    op.drop_table('tags')
    op.drop_index('ix_outbox_unsent', table_name='outbox', postgresql_where='sent_at IS NULL')
    op.drop_table('outbox')
    op.drop_table('categories')
