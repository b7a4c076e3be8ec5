"""Slowing down guessing: failed logins lock an account or an address for a growing while,
and sign-ups and mail requests are capped per address and per account."""

from __future__ import annotations

from shared import ratelimit
from shared.config import get_settings
from shared.ratelimit import TooManyRequests

FAILURE_WINDOW = 15 * 60
HOUR = 3600
MAX_LOCK = 3600


def _keys(email: str, address: str) -> list[tuple[str, int]]:
    settings = get_settings()
    return [
        (f"login:account:{email.strip().lower()}", settings.login_failures_per_account),
        (f"login:address:{address}", settings.login_failures_per_address),
    ]


def before_login(email: str, address: str) -> None:
    for key, _ in _keys(email, address):
        seconds = ratelimit.locked_for(key)
        if seconds:
            raise TooManyRequests(seconds, "Too many failed sign-ins; try again later.")


def login_failed(email: str, address: str) -> None:
    """Past the threshold each further failure doubles the lock: 1 min, 2, 4 ... 1 h."""
    for key, threshold in _keys(email, address):
        failures = ratelimit.add(f"{key}:failures", FAILURE_WINDOW).value
        if failures >= threshold:
            ratelimit.lock(key, min(60 * 2 ** (failures - threshold), MAX_LOCK))


def login_succeeded(email: str, address: str) -> None:
    account_key, _ = _keys(email, address)[0]
    ratelimit.reset(f"{account_key}:failures")


def sign_up(address: str) -> None:
    ratelimit.limit(
        f"signup:{address}",
        get_settings().signups_per_address_per_hour,
        HOUR,
        "Too many sign-ups from this address; try again later.",
    )


def mail_request(kind: str, email: str, address: str) -> None:
    """Resend and reset requests: the same answer whether or not the account exists."""
    settings = get_settings()
    ratelimit.limit(f"{kind}:address:{address}", settings.mail_requests_per_address_per_hour, HOUR)
    ratelimit.limit(
        f"{kind}:account:{email.strip().lower()}", settings.mail_requests_per_account_per_hour, HOUR
    )
