"""POST /api/v1/auth/register: create an account."""

from typing import Annotated

from fastapi import Header, Request
from mangum import Mangum

from shared.auth import throttle
from shared.db import unit_of_work
from shared.kit import Function
from shared.kit.client import client_address
from shared.ratelimit import TooManyRequests
from shared.users.errors import EmailTaken
from shared.users.models import Role
from shared.users.schemas import UserCreate, UserPublic
from shared.users.service import create_user, locale_from_accept_language

fn = Function("register", summary="Sign up as a participant or organizer.")


@fn.post(
    "/api/v1/auth/register",
    status_code=201,
    response_model=UserPublic,
    errors=(EmailTaken, TooManyRequests),
)
def register(
    body: UserCreate,
    request: Request,
    accept_language: Annotated[str | None, Header()] = None,
) -> UserPublic:
    throttle.sign_up(client_address(request))
    with unit_of_work() as session:
        user = create_user(
            session,
            email=body.email,
            password=body.password,
            full_name=body.full_name,
            role=Role(body.role),
            locale=locale_from_accept_language(accept_language),
        )
        return UserPublic.model_validate(user)


app = fn.app()
handler = Mangum(app, lifespan="off")
