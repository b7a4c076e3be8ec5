"""The client's address: `X-Forwarded-For` is believed only from proxies in TRUSTED_PROXIES."""

from __future__ import annotations

import ipaddress

from fastapi import Request

from shared import process_state
from shared.config import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@process_state.cached
def _trusted() -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(item, strict=False) for item in get_settings().trusted_proxies
    )


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted())


def client_address(request: Request) -> str:
    """Walk `X-Forwarded-For` from the right while the hop is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if not _is_trusted(peer):
        return peer
    # Every header line: a proxy may append its own line rather than extend the first one.
    lines = request.headers.getlist("x-forwarded-for")
    hops = [hop.strip() for line in lines for hop in line.split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _is_trusted(hop):
            return hop
        peer = hop
    return peer
