"""Access tokens: short-lived JWTs signed with ECDSA P-256 (ES256).

ES256 rather than the polymorphic `EdDSA`, which RFC 9864 deprecates: every JOSE library
verifies it.

Only the function that mints tokens is given the private key (`JWT_PRIVATE_KEY`, PEM); every
function verifies with the public key set (`JWT_PUBLIC_KEYS`, a JWKS document that may hold
several keys while keys rotate). A key's `kid` is its RFC 7638 thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared import process_state
from shared.config import get_settings

ALGORITHM = "ES256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud", "role", "sid"]


class InvalidToken(Exception):
    """The access token is missing, malformed, expired, or not signed by a known key."""


class SigningKeyMissing(RuntimeError):
    """This function was not given the private key: it cannot mint tokens."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    token_id: str
    issued_at: datetime
    expires_at: datetime
    # The login session it belongs to: ending the session ends the token.
    session_id: uuid.UUID | None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    x = _b64url(numbers.x.to_bytes(32, "big"))
    y = _b64url(numbers.y.to_bytes(32, "big"))
    # RFC 7638: the thumbprint hashes the required members in lexical order, no spaces.
    canonical = json.dumps({"crv": "P-256", "kty": "EC", "x": x, "y": y}, separators=(",", ":"))
    kid = _b64url(hashlib.sha256(canonical.encode()).digest())
    return {"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def generate_private_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def jwks_for(private_key_pem: str) -> dict[str, list[dict[str, str]]]:
    return {"keys": [public_jwk(_load_private(private_key_pem).public_key())]}


def _load_private(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("JWT_PRIVATE_KEY must be a P-256 (prime256v1) private key in PEM")
    return key


@process_state.cached
def _signing_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    pem = get_settings().jwt_private_key
    if not pem:
        raise SigningKeyMissing("JWT_PRIVATE_KEY is not set for this function")
    key = _load_private(pem)
    return key, public_jwk(key.public_key())["kid"]


@process_state.cached
def published_keys() -> dict[str, list[dict[str, str]]]:
    """The JWKS every function verifies with (and `login` publishes)."""
    settings = get_settings()
    if settings.jwt_public_keys:
        document = json.loads(settings.jwt_public_keys)
        return {"keys": [dict(key) for key in document["keys"]]}
    if settings.jwt_private_key:
        return jwks_for(settings.jwt_private_key)
    return {"keys": []}


@process_state.cached
def _verification_keys() -> dict[str, Any]:
    return {
        jwk["kid"]: jwt.PyJWK.from_dict(jwk, algorithm=ALGORITHM).key
        for jwk in published_keys()["keys"]
    }


def issue_access_token(user_id: uuid.UUID, role: str, session_id: uuid.UUID) -> tuple[str, int]:
    settings = get_settings()
    key, kid = _signing_key()
    now = datetime.now(UTC)
    ttl = settings.access_token_ttl_seconds
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "role": role,
        "jti": uuid.uuid4().hex,
        "sid": str(session_id),
        # Milliseconds (RFC 7519 allows fractions): a revocation in the same second as a
        # login must still tell the tokens before it from those after.
        "iat": round(now.timestamp(), 3),
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid}), ttl


def verify_access_token(token: str) -> AccessClaims:
    settings = get_settings()
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = _verification_keys().get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown signing key")
        # The algorithm list is fixed: a token cannot choose `none` or a symmetric algorithm.
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
            leeway=5,
        )
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            role=str(claims["role"]),
            token_id=str(claims["jti"]),
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            session_id=uuid.UUID(claims["sid"]),
        )
    except InvalidToken:
        raise
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
        raise InvalidToken(str(error)) from error
