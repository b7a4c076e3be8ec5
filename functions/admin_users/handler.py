"""Admins find accounts, change their role or block them (audited), and read the audit log."""

import uuid
from typing import Annotated, Literal

from fastapi import Query
from mangum import Mangum

from shared.accounts.admin import UserPage, change_user, list_users
from shared.accounts.errors import SelfLockout
from shared.audit.schemas import AuditPage
from shared.audit.service import entries
from shared.db import unit_of_work
from shared.errors import NotFound
from shared.kit import Admin, Function
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.users.models import Role
from shared.users.schemas import AdminUserView
from shared.validation import Flag, RequestModel

fn = Function(
    "admin_users",
    summary="Admins manage accounts and read the audit log.",
    secrets=("cursor_secret",),
)
Cursor = Annotated[str | None, Query(max_length=512)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


class UserChange(RequestModel):
    role: Literal["participant", "organizer", "admin"] | None = None
    is_active: Flag | None = None


@fn.get("/api/v1/admin/users", response_model=UserPage)
def users(
    admin: Admin,
    role: Role | None = None,
    is_active: Annotated[bool | None, Query(description="false: the blocked accounts")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> UserPage:
    with unit_of_work() as session:
        return list_users(
            session, role=role, is_active=is_active, q=q or None, cursor=cursor, limit=limit
        )


@fn.patch(
    "/api/v1/admin/users/{user_id}", response_model=AdminUserView, errors=(NotFound, SelfLockout)
)
def change(user_id: uuid.UUID, body: UserChange, admin: Admin) -> AdminUserView:
    with unit_of_work() as session:
        user = change_user(
            session,
            admin.user_id,
            user_id,
            role=Role(body.role) if body.role else None,
            is_active=body.is_active,
        )
        return AdminUserView.model_validate(user)


@fn.get("/api/v1/admin/audit", response_model=AuditPage)
def audit(
    admin: Admin,
    actor_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=50)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> AuditPage:
    """Who did what to whom, newest first (role changes, blocks, moderation, categories)."""
    with unit_of_work() as session:
        return entries(
            session,
            actor_id=actor_id,
            action=action or None,
            target_id=target_id or None,
            cursor=cursor,
            limit=limit,
        )


app = fn.app()
handler = Mangum(app, lifespan="off")
