"""Admins find accounts and change their role or block them (audited)."""

import uuid
from typing import Annotated, Literal

from fastapi import Query
from mangum import Mangum

from shared.db import unit_of_work
from shared.errors import NotFound
from shared.kit import Admin, Function
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.users.admin import SelfLockout, UserPage, change_user, list_users
from shared.users.models import Role
from shared.users.schemas import UserProfile
from shared.validation import RequestModel

fn = Function("admin_users", summary="Admins manage accounts.", secrets=("cursor_secret",))


class UserChange(RequestModel):
    role: Literal["participant", "organizer", "admin"] | None = None
    is_active: bool | None = None


@fn.get("/api/v1/admin/users", response_model=UserPage)
def users(
    admin: Admin,
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> UserPage:
    with unit_of_work() as session:
        return list_users(session, role=role, q=q or None, cursor=cursor, limit=limit)


@fn.patch(
    "/api/v1/admin/users/{user_id}", response_model=UserProfile, errors=(NotFound, SelfLockout)
)
def change(user_id: uuid.UUID, body: UserChange, admin: Admin) -> UserProfile:
    with unit_of_work() as session:
        user = change_user(
            session,
            admin.user_id,
            user_id,
            role=Role(body.role) if body.role else None,
            is_active=body.is_active,
        )
        return UserProfile.model_validate(user)


app = fn.app()
handler = Mangum(app, lifespan="off")
