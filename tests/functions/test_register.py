"""POST /api/v1/auth/register, as API.md promises it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.api import assert_problem

GOOD = {"email": "Ada@Example.org", "password": "0123456789", "full_name": "Ada Lovelace"}


def test_register_creates_a_participant(client):
    response = client.post("/api/v1/auth/register", json=GOOD)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "ada@example.org"
    assert body["role"] == "participant"
    assert body["email_verified"] is False
    assert set(body) >= {"id", "email", "full_name", "role", "email_verified"}
    assert "password" not in response.text


def test_organizer_sign_up(client):
    response = client.post("/api/v1/auth/register", json={**GOOD, "role": "organizer"})
    assert response.json()["role"] == "organizer"


def test_email_taken_whatever_the_case(client):
    assert client.post("/api/v1/auth/register", json=GOOD).status_code == 201
    again = {**GOOD, "email": "ADA@example.ORG"}
    assert_problem(client.post("/api/v1/auth/register", json=again), 409)


@pytest.mark.parametrize(
    "change",
    [
        {"password": "short"},
        {"email": "no-at-sign"},
        {"role": "admin"},
        {"role": "superuser"},
        {"full_name": "   "},
        {"full_name": 42},
        {"unexpected": "field"},
        {"email": None},
    ],
)
def test_bad_sign_ups_are_422_and_create_nothing(client, change):
    assert_problem(client.post("/api/v1/auth/register", json={**GOOD, **change}), 422)
    # Nothing was created: the proper sign-up still succeeds.
    assert client.post("/api/v1/auth/register", json=GOOD).status_code == 201


def test_parallel_sign_ups_for_one_address_create_one_account(live_url):
    def attempt(_: int) -> int:
        return httpx.post(f"{live_url}/api/v1/auth/register", json=GOOD, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(attempt, range(8)))
    assert codes == [201] + [409] * 7
