"""Sign in, rotate refresh tokens, publish the keys that verify access tokens.

The only function given the signing key.
"""

from typing import Annotated, Any

from fastapi import Cookie, Request, Response
from mangum import Mangum

from shared.auth import devices, service, throttle
from shared.auth.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
    UserBlocked,
)
from shared.auth.schemas import LoginRequest, LogoutRequest, RefreshRequest, TokenPair
from shared.config import get_settings
from shared.db import unit_of_work
from shared.kit import CurrentUser, Function
from shared.kit.client import client_address
from shared.ratelimit import TooManyRequests
from shared.security.tokens import published_keys

fn = Function(
    "login",
    summary="Sign in and keep a session alive with rotating refresh tokens.",
    secrets=("jwt_private_key",),
)


@fn.post(
    "/api/v1/auth/login",
    response_model=TokenPair,
    errors=(InvalidCredentials, UserBlocked, TooManyRequests),
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    cookie: Annotated[str | None, Cookie(alias=devices.COOKIE, max_length=512)] = None,
) -> TokenPair:
    device = devices.known_device(body.device_token or cookie, body.email)
    guard = throttle.password_check(
        "login",
        body.email,
        client_address(request),
        wrong=InvalidCredentials,
        device=device,
    )
    with guard, unit_of_work() as session:
        tokens = service.login(session, body.email, body.password)
    token = devices.issue(body.email)
    if token is not None:
        response.set_cookie(
            devices.COOKIE,
            token,
            max_age=devices.DEVICE_DAYS * 86400,
            path=devices.COOKIE_PATH,
            secure=get_settings().public_url.startswith("https://"),
            httponly=True,
            samesite="strict",
        )
    return tokens.model_copy(update={"device_token": token})


@fn.post(
    "/api/v1/auth/refresh",
    response_model=TokenPair,
    errors=(InvalidRefreshToken, RefreshTokenReused, UserBlocked),
)
def refresh(body: RefreshRequest) -> TokenPair:
    try:
        with unit_of_work() as session:
            return service.refresh(session, body.refresh_token)
    except RefreshTokenReused as reuse:
        # Its own transaction: the refusal above rolled back, the revocation must stay.
        with unit_of_work() as session:
            service.revoke_session(session, reuse.session_id, "refresh-token-reused")
        raise


@fn.post("/api/v1/auth/logout", status_code=204)
def logout(user: CurrentUser, body: LogoutRequest | None = None) -> Response:
    with unit_of_work() as session:
        service.logout(
            session,
            user.user_id,
            user.session_id,
            user.token_id,
            user.expires_at,
            body.refresh_token if body else None,
        )
    return Response(status_code=204)


@fn.get("/api/v1/auth/jwks.json")
def jwks() -> dict[str, Any]:
    return published_keys()


app = fn.app()
handler = Mangum(app, lifespan="off")
