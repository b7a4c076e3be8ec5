"""Security headers on every answer, added where the response starts (pure ASGI, no copy of
the body): no MIME sniffing anywhere, and HTML pages that cannot be framed, run no script,
post only to us and leak no token-bearing URL through the Referer header.
"""

from __future__ import annotations

from starlette.types import Message, Send

# The mail-link pages are plain forms: nothing to load but themselves.
PAGE_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
EVERY_ANSWER = ((b"x-content-type-options", b"nosniff"),)
HTML_ANSWER = (
    (b"content-security-policy", PAGE_POLICY),
    (b"x-frame-options", b"DENY"),
    # Their URLs hold tokens (verify, reset, unsubscribe): never sent on to another site.
    (b"referrer-policy", b"no-referrer"),
)


def add_security_headers(headers: list[tuple[bytes, bytes]]) -> None:
    """Extend a response's raw headers in place (an `http.response.start` message's). What a
    route set itself stays: a download's own nosniff, the policy of a page with scripts
    (such as `/docs`)."""
    content_type = b""
    has_policy = has_nosniff = False
    for name, value in headers:
        if name == b"content-type":
            content_type = value
        elif name == b"content-security-policy":
            has_policy = True
        elif name == b"x-content-type-options":
            has_nosniff = True
    if not has_nosniff:
        headers.extend(EVERY_ANSWER)
    if content_type.startswith(b"text/html") and not has_policy:
        headers.extend(HTML_ANSWER)


def secured(send: Send) -> Send:
    """`send` with the security headers added to the response's start."""

    async def send_secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            add_security_headers(headers)
            message["headers"] = headers
        await send(message)

    return send_secured
