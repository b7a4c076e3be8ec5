"""Sign in, rotate refresh tokens, publish the keys that verify access tokens.

The only function given the signing key.
"""

from typing import Any

from fastapi import Request, Response
from mangum import Mangum

from shared.auth import service, throttle
from shared.auth.schemas import LoginRequest, LogoutRequest, RefreshRequest, TokenPair
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
    errors=(service.InvalidCredentials, service.UserBlocked, TooManyRequests),
)
def login(body: LoginRequest, request: Request) -> TokenPair:
    address = client_address(request)
    throttle.before_login(body.email, address)
    outcome = throttle.Outcome.error
    try:
        with unit_of_work() as session:
            tokens = service.login(session, body.email, body.password)
        outcome = throttle.Outcome.succeeded
    except service.InvalidCredentials:
        outcome = throttle.Outcome.failed
        raise
    finally:
        throttle.login_done(body.email, address, outcome)
    return tokens


@fn.post(
    "/api/v1/auth/refresh",
    response_model=TokenPair,
    errors=(service.InvalidRefreshToken, service.RefreshTokenReused, service.UserBlocked),
)
def refresh(body: RefreshRequest) -> TokenPair:
    try:
        with unit_of_work() as session:
            return service.refresh(session, body.refresh_token)
    except service.RefreshTokenReused as reuse:
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
