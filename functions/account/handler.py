"""The signed-in user's own account: profile, password, data export and deletion, API keys."""

import uuid
from contextlib import AbstractContextManager
from typing import Any

from fastapi import Request, Response
from mangum import Mangum

from shared.accounts.errors import WrongPassword
from shared.accounts.personal_data import delete_account, export
from shared.accounts.verification import change_password
from shared.api_keys import service as api_keys
from shared.api_keys.errors import ApiKeyNotFound, TooManyApiKeys
from shared.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList
from shared.auth import throttle
from shared.db import unit_of_work
from shared.errors import NotFound
from shared.kit import CurrentUser, Function
from shared.kit.auth import Principal
from shared.kit.client import client_address
from shared.ratelimit import TooManyRequests
from shared.users import repository
from shared.users.schemas import AccountDeletion, PasswordChange, ProfileUpdate, UserProfile
from shared.users.service import update_profile

fn = Function(
    "account",
    summary="One's own profile and password; export and delete one's data; one's API keys.",
)


@fn.get("/api/v1/users/me", response_model=UserProfile, errors=(NotFound,))
def me(user: CurrentUser) -> UserProfile:
    with unit_of_work() as session:
        found = repository.by_id(session, user.user_id)
        if found is None:
            raise NotFound("No such user.")
        return UserProfile.model_validate(found)


@fn.patch("/api/v1/users/me", response_model=UserProfile, errors=(NotFound,))
def edit(body: ProfileUpdate, user: CurrentUser) -> UserProfile:
    with unit_of_work() as session:
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        return UserProfile.model_validate(update_profile(session, user.user_id, changes))


@fn.get("/api/v1/users/me/export")
def export_mine(user: CurrentUser) -> dict[str, Any]:
    with unit_of_work() as session:
        return export(session, user.user_id)


def _checking_password(user: Principal, request: Request) -> AbstractContextManager[None]:
    """Guessing the password through a stolen session is throttled like signing in."""
    return throttle.password_check(
        "current-password", str(user.user_id), client_address(request), wrong=WrongPassword
    )


@fn.delete("/api/v1/users/me", status_code=204, errors=(WrongPassword, TooManyRequests))
def delete_mine(body: AccountDeletion, user: CurrentUser, request: Request) -> Response:
    with _checking_password(user, request), unit_of_work() as session:
        delete_account(session, user.user_id, body.password)
    return Response(status_code=204)


@fn.post("/api/v1/users/me/password", status_code=204, errors=(WrongPassword, TooManyRequests))
def password(body: PasswordChange, user: CurrentUser, request: Request) -> Response:
    with _checking_password(user, request), unit_of_work() as session:
        change_password(
            session, user.user_id, body.current_password, body.new_password, user.session_id
        )
    return Response(status_code=204)


# Managing keys is for the person only: shared/kit/scopes.py refuses every API key here.
@fn.post(
    "/api/v1/me/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    errors=(TooManyApiKeys,),
)
def create_api_key(body: ApiKeyCreate, user: CurrentUser) -> ApiKeyCreated:
    """A new key acting for the caller within `scopes`; the key is in this answer only."""
    with unit_of_work() as session:
        return api_keys.create(session, user.user_id, body)


@fn.get("/api/v1/me/api-keys", response_model=ApiKeyList)
def list_api_keys(user: CurrentUser) -> ApiKeyList:
    """The caller's live keys, without the keys themselves."""
    with unit_of_work() as session:
        return api_keys.listed(session, user.user_id)


@fn.delete("/api/v1/me/api-keys/{key_id}", status_code=204, errors=(ApiKeyNotFound,))
def revoke_api_key(key_id: uuid.UUID, user: CurrentUser) -> Response:
    """The key stops working at once, in every function."""
    with unit_of_work() as session:
        api_keys.revoke(session, user.user_id, key_id)
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
