"""Who the local gateway treats as internal without a token."""

from __future__ import annotations

import pytest

from local.gateway import _straight_from_loopback


def scope(client: str, host: str, **extra: str) -> tuple[dict, dict]:
    headers = {b"host": host.encode(), **{k.encode(): v.encode() for k, v in extra.items()}}
    return {"client": (client, 50000)}, headers


@pytest.mark.parametrize(
    ("client", "host", "extra", "trusted"),
    [
        ("127.0.0.1", "127.0.0.1:8080", {}, True),
        ("127.0.0.1", "localhost:8080", {}, True),
        ("::1", "[::1]:8080", {}, True),
        # A page on another name that resolves to 127.0.0.1 (DNS rebinding).
        ("127.0.0.1", "attacker.example:8080", {}, False),
        # A local proxy forwarding someone else's request.
        ("127.0.0.1", "127.0.0.1:8080", {"x-forwarded-for": "203.0.113.9"}, False),
        ("127.0.0.1", "127.0.0.1:8080", {"forwarded": "for=203.0.113.9"}, False),
        ("127.0.0.1", "127.0.0.1:8080", {"x-real-ip": "203.0.113.9"}, False),
        ("192.0.2.10", "127.0.0.1:8080", {}, False),
        # A page in the user's browser calling loopback (a form post, a fetch, a link).
        ("127.0.0.1", "127.0.0.1:8080", {"origin": "https://attacker.example"}, False),
        ("127.0.0.1", "127.0.0.1:8080", {"origin": "null"}, False),
        ("127.0.0.1", "localhost:8080", {"sec-fetch-site": "cross-site"}, False),
        ("127.0.0.1", "127.0.0.1:8080", {"sec-fetch-site": "none"}, False),
    ],
)
def test_loopback_trust(client, host, extra, trusted):
    asgi_scope, headers = scope(client, host, **extra)
    assert _straight_from_loopback(asgi_scope, headers) is trusted
