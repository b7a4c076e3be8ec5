"""Slowing down guessing without handing out a denial of service, as OWASP recommends.

A failed password check counts for the client that sent it (its address, or its known device)
against that account, for the address across accounts, and for the account from everywhere.
A client that keeps failing is locked out of that account, for a growing while; an address
that fails across accounts is locked out. The account itself is never locked: past a number of
failures from everywhere it is slowed down (one check per few seconds) for clients it does not
know, while its known devices go through. A password reset proves the owner: it starts the
account's counts afresh. Sign-ups and mail requests are capped per address and per account.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from shared import ratelimit
from shared.config import get_settings
from shared.ratelimit import TooManyRequests

FAILURE_WINDOW = 15 * 60
HOUR = 3600
DAY = 24 * HOUR
MAX_LOCK = 3600
MAX_SLOWDOWN = 60
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


@dataclass(frozen=True)
class _Keys:
    account: str  # this generation of the account: failures from everywhere, pacing
    client: str  # this account from this address or this known device
    address: str | None  # this address across accounts (None for a known device)
    known: bool


def _keys(kind: str, account: str, address: str, device: str | None) -> _Keys:
    account = account.strip().lower()
    # A reset bumps the generation: counts and locks from before it no longer apply.
    generation = ratelimit.add(f"{kind}:generation:{account}", DAY, amount=0).value
    base = f"{kind}:account:{account}:{generation}"
    if device is not None:
        return _Keys(base, f"{base}:device:{device}", None, known=True)
    bucket = address_bucket(address)
    return _Keys(base, f"{base}:address:{bucket}", f"{kind}:address:{bucket}", known=False)


def _lock_seconds(failures: int, threshold: int) -> int:
    """Past the threshold each further failure doubles the lock: 1 min, 2, 4 ... 1 h."""
    return int(min(60 * 2 ** (failures - threshold), MAX_LOCK))


def _pace_seconds(failures: int, threshold: int) -> int:
    """Past the threshold, one check per 1 s, 2 s, 4 s ... 1 min."""
    return int(min(2 ** (failures - threshold), MAX_SLOWDOWN))


def _slots(keys: _Keys) -> list[tuple[str, int]]:
    """The in-flight slots a check takes: a known device has one of its own, so strangers
    hammering the account never crowd out its owner."""
    first = keys.client if keys.known else keys.account
    slots = [(f"{first}:in-flight", IN_FLIGHT[0])]
    if keys.address is not None:
        slots.append((f"{keys.address}:in-flight", IN_FLIGHT[1]))
    return slots


def _before(keys: _Keys) -> None:
    """Refuse a locked client or address, pace an unknown client of a slowed-down account,
    and let one check per account (a few per address) run at a time: a burst sent all at
    once cannot slip past a threshold. `_done` frees the slots."""
    for key in (keys.client, keys.address):
        if key is not None and (seconds := ratelimit.locked_for(key)):
            raise TooManyRequests(seconds, "Too many failed password checks; try again later.")
    if not keys.known:
        threshold = get_settings().login_failures_before_slowdown
        failures = ratelimit.add(f"{keys.account}:failures", HOUR, amount=0).value
        if failures >= threshold:
            pace = _pace_seconds(failures, threshold)
            paced = ratelimit.add(f"{keys.account}:paced", pace)
            if paced.value > 1:
                raise TooManyRequests(
                    paced.resets_in, "This account is being guessed at; try again shortly."
                )
    taken: list[str] = []
    for slot, allowed in _slots(keys):
        if ratelimit.add(slot, IN_FLIGHT_WINDOW).value > allowed:
            for held in [*taken, slot]:
                ratelimit.add(held, IN_FLIGHT_WINDOW, amount=-1)
            raise TooManyRequests(1, "Another password check for this account is running.")
        taken.append(slot)


class Outcome(StrEnum):
    succeeded = "succeeded"
    failed = "failed"  # wrong email or password: counts towards a lock
    error = "error"  # anything else (blocked, a fault): frees the slot only


def _done(keys: _Keys, outcome: Outcome) -> None:
    settings = get_settings()
    for slot, _ in _slots(keys):
        ratelimit.add(slot, IN_FLIGHT_WINDOW, amount=-1)
    if outcome is Outcome.succeeded:
        ratelimit.reset(f"{keys.client}:failures")
    if outcome is not Outcome.failed:
        return
    ratelimit.add(f"{keys.account}:failures", HOUR)
    limits = [(keys.client, settings.login_failures_per_account)]
    if keys.address is not None:
        limits.append((keys.address, settings.login_failures_per_address))
    for key, threshold in limits:
        failures = ratelimit.add(f"{key}:failures", FAILURE_WINDOW).value
        if failures >= threshold:
            ratelimit.lock(key, _lock_seconds(failures, threshold))


@contextmanager
def password_check(
    kind: str,
    account: str,
    address: str,
    *,
    wrong: type[Exception] | tuple[type[Exception], ...],
    device: str | None = None,
) -> Iterator[None]:
    """Guard one password check (`kind`: "login", "current-password"): refused with 429 while
    locked or paced; a `wrong` exception out of the block counts as a failure."""
    keys = _keys(kind, account, address, device)
    _before(keys)
    outcome = Outcome.error
    try:
        yield
        outcome = Outcome.succeeded
    except wrong:
        outcome = Outcome.failed
        raise
    finally:
        _done(keys, outcome)


def account_recovered(kind: str, account: str) -> None:
    """The owner proved themself (a password reset): the account's counts start afresh."""
    ratelimit.add(f"{kind}:generation:{account.strip().lower()}", DAY)


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
