"""Making, listing and revoking a person's API keys."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.api_keys import repository
from shared.api_keys.errors import ApiKeyNotFound, TooManyApiKeys
from shared.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyPublic
from shared.security import api_keys
from shared.security.models import ApiKey

# Live keys per person: enough for every app and script, few enough to list on one page.
MAX_KEYS = 50
HINT_LENGTH = 10


def create(session: Session, user_id: uuid.UUID, body: ApiKeyCreate) -> ApiKeyCreated:
    repository.hold_person(session, user_id)
    if repository.count_live(session, user_id) >= MAX_KEYS:
        raise TooManyApiKeys(f"A person may hold {MAX_KEYS} keys; revoke one first.")
    key, key_hash = api_keys.mint()
    row = ApiKey(
        user_id=user_id,
        name=body.name,
        scopes=body.scopes,
        key_hash=key_hash,
        hint=key[:HINT_LENGTH],
        expires_at=body.expires_at,
    )
    session.add(row)
    session.flush()
    session.refresh(row)
    return ApiKeyCreated(**ApiKeyPublic.model_validate(row).model_dump(), key=key)


def listed(session: Session, user_id: uuid.UUID) -> ApiKeyList:
    return ApiKeyList(
        items=[ApiKeyPublic.model_validate(k) for k in repository.live_of(session, user_id)]
    )


def revoke(session: Session, user_id: uuid.UUID, key_id: uuid.UUID) -> None:
    key = repository.live_for_update(session, user_id, key_id)
    if key is None:
        raise ApiKeyNotFound(f"No API key {key_id}.")
    api_keys.revoke(session, key)


def erase_all(session: Session, user_id: uuid.UUID) -> None:
    """Every key of the person stops working and is forgotten (their account is deleted)."""
    for key in repository.all_of(session, user_id):
        api_keys.revoke(session, key)
        session.delete(key)


def exported(session: Session, user_id: uuid.UUID) -> list[dict[str, object]]:
    """The person's keys for their data export: what they are, never the secret or its hash."""
    return [
        {
            **ApiKeyPublic.model_validate(k).model_dump(mode="json"),
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        }
        for k in repository.all_of(session, user_id)
    ]
