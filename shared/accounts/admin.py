"""What admins do to accounts: find them, change a role, block and unblock. Every change is
audited in the same transaction, and the user's tokens stop working at once."""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from shared.accounts.errors import SelfLockout
from shared.audit.service import record
from shared.auth.service import end_all_sessions
from shared.catalog import UserBlocked, UserRoleChanged, UserUnblocked
from shared.errors import NotFound
from shared.outbox.writer import emit
from shared.pagination import cursor_at, time_and_id
from shared.security import api_keys, revocation
from shared.users.models import Role, User
from shared.users.repository import name_or_email_contains
from shared.users.schemas import AdminUserView


class UserPage(BaseModel):
    items: list[AdminUserView]
    next_cursor: str | None


def list_users(
    session: Session,
    *,
    role: Role | None,
    is_active: bool | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> UserPage:
    query: Select[User] = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if is_active is not None:
        query = query.where(User.is_active.is_(is_active))
    if q:
        query = query.where(name_or_email_contains(q))
    if cursor:
        created, user_id = time_and_id(cursor)
        query = query.where(tuple_(User.created_at, User.id) < tuple_(created, user_id))
    users = list(
        session.scalars(query.order_by(User.created_at.desc(), User.id.desc()).limit(limit + 1))
    )
    page = users[:limit]
    next_cursor = None
    if len(users) > limit and page:
        next_cursor = cursor_at(page[-1].created_at, page[-1].id)
    return UserPage(items=[AdminUserView.model_validate(u) for u in page], next_cursor=next_cursor)


def change_user(
    session: Session,
    admin_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    role: Role | None,
    is_active: bool | None,
) -> User:
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    if user_id == admin_id and ((role is not None and role != Role.admin) or is_active is False):
        raise SelfLockout("Ask another admin: you cannot demote or block yourself.")
    if role is not None and role != user.role:
        old, user.role = user.role, role
        record(session, admin_id, "user.role_changed", "user", user.id, old=old, new=role)
        emit(session, UserRoleChanged(user_id=user.id, by_user_id=admin_id, old=old, new=role))
        revocation.raise_floor(session, user.id)  # tokens carry the role
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        if is_active:
            record(session, admin_id, "user.unblocked", "user", user.id)
            api_keys.forget_holder_state(session, user.id)  # their keys work again
            emit(session, UserUnblocked(user_id=user.id, by_user_id=admin_id, old=False, new=True))
        else:
            record(session, admin_id, "user.blocked", "user", user.id)
            emit(session, UserBlocked(user_id=user.id, by_user_id=admin_id, old=True, new=False))
            end_all_sessions(session, user.id, "blocked")
    session.flush()
    return user
