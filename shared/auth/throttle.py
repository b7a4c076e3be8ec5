"""Slowing down guessing: failed logins lock an account or an address for a growing while,
and sign-ups and mail requests are capped per address and per account."""

from __future__ import annotations

import ipaddress
from enum import StrEnum

from shared import ratelimit
from shared.config import get_settings
from shared.ratelimit import TooManyRequests

FAILURE_WINDOW = 15 * 60
HOUR = 3600
MAX_LOCK = 3600
# Password checks running at once: per account, per address. The window only bounds a slot
# whose request died before freeing it.
IN_FLIGHT = (1, 10)
IN_FLIGHT_WINDOW = 30


def address_bucket(address: str) -> str:
    """IPv6 clients are counted per /64: one host usually holds a whole /64 to rotate in."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address


def _keys(email: str, address: str) -> list[tuple[str, int]]:
    settings = get_settings()
    return [
        (f"login:account:{email.strip().lower()}", settings.login_failures_per_account),
        (f"login:address:{address_bucket(address)}", settings.login_failures_per_address),
    ]


def _lock_seconds(failures: int, threshold: int) -> int:
    """Past the threshold each further failure doubles the lock: 1 min, 2, 4 ... 1 h."""
    return int(min(60 * 2 ** (failures - threshold), MAX_LOCK))


def before_login(email: str, address: str) -> None:
    """Refuse while locked, and let one password check per account (a few per address) run
    at a time: a burst sent all at once cannot slip past the threshold. `login_done` frees
    the slot."""
    for key, _ in _keys(email, address):
        seconds = ratelimit.locked_for(key)
        if seconds:
            raise TooManyRequests(seconds, "Too many failed sign-ins; try again later.")
    taken: list[str] = []
    for (key, _), allowed in zip(_keys(email, address), IN_FLIGHT, strict=True):
        if ratelimit.add(f"{key}:in-flight", IN_FLIGHT_WINDOW).value > allowed:
            for slot in [*taken, f"{key}:in-flight"]:
                ratelimit.add(slot, IN_FLIGHT_WINDOW, amount=-1)
            raise TooManyRequests(1, "Another sign-in for this account is being checked.")
        taken.append(f"{key}:in-flight")


class Outcome(StrEnum):
    succeeded = "succeeded"
    failed = "failed"  # wrong email or password: counts towards a lock
    error = "error"  # anything else (blocked, a fault): frees the slot only


def login_done(email: str, address: str, outcome: Outcome) -> None:
    for key, threshold in _keys(email, address):
        ratelimit.add(f"{key}:in-flight", IN_FLIGHT_WINDOW, amount=-1)
        if outcome is not Outcome.failed:
            continue
        failures = ratelimit.add(f"{key}:failures", FAILURE_WINDOW).value
        if failures >= threshold:
            ratelimit.lock(key, _lock_seconds(failures, threshold))
    if outcome is Outcome.succeeded:
        account_key, _ = _keys(email, address)[0]
        ratelimit.reset(f"{account_key}:failures")


def sign_up(address: str) -> None:
    ratelimit.limit(
        f"signup:{address_bucket(address)}",
        get_settings().signups_per_address_per_hour,
        HOUR,
        "Too many sign-ups from this address; try again later.",
    )


def mail_request(kind: str, email: str, address: str) -> None:
    """Resend and reset requests: the same answer whether or not the account exists."""
    settings = get_settings()
    ratelimit.limit(
        f"{kind}:address:{address_bucket(address)}",
        settings.mail_requests_per_address_per_hour,
        HOUR,
    )
    ratelimit.limit(
        f"{kind}:account:{email.strip().lower()}", settings.mail_requests_per_account_per_hour, HOUR
    )
