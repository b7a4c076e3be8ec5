"""Where a webhook may point: public addresses only (no SSRF into our own networks).

The check runs on the addresses the name resolves to, at creation and again at every
connection; the sender then connects to the very address it checked (sending.py), so a name
that resolves elsewhere the second time (DNS rebinding) gains nothing.
`WEBHOOK_ALLOW_PRIVATE` lifts the check (tests, a private deployment).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.config import get_settings
from shared.webhooks.errors import UnsafeTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits; so does the
# deprecated IPv4-compatible form (::a.b.c.d). The local-use NAT64 prefix and site-local
# addresses are private whatever they carry (Python before 3.13 calls them global).
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
NEVER_PUBLIC = (ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("fec0::/10"))


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    # Path and query, as sent in the request line.
    target: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url_for(self, address: IPAddress) -> str:
        literal = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{literal}:{self.port}{self.target}"


def parse(url: str) -> Target:
    """The URL's parts, or UnsafeTarget: https only (http too with WEBHOOK_ALLOW_PRIVATE),
    a host, no credentials."""
    allowed = ("https", "http") if get_settings().webhook_allow_private else ("https",)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeTarget(f"The URL is not valid: {error}.") from None
    if parts.scheme not in allowed:
        raise UnsafeTarget("The URL must start with https://.")
    if not parts.hostname:
        raise UnsafeTarget("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("The URL must not carry credentials; the signature proves the sender.")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or (443 if parts.scheme == "https" else 80),
        target=target,
    )


def is_forbidden(address: IPAddress) -> bool:
    """True for every address that is not plainly on the public internet, including IPv6
    forms that embed an IPv4 address (mapped, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in NEVER_PUBLIC):
            return True
        embedded = address.ipv4_mapped or address.sixtofour
        if address.teredo:
            embedded = address.teredo[1]
        if address in NAT64 or address in IPV4_COMPATIBLE:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and is_forbidden(embedded):
            return True
    # `is_global` is False for private, loopback, link-local, CGNAT (100.64/10), reserved,
    # unspecified and documentation ranges; multicast is refused on its own.
    return not address.is_global or address.is_multicast


def resolve(target: Target) -> IPAddress:
    """The address to connect to, once every address the host resolves to passed the check:
    one bad address refuses the target (a name cannot smuggle one in among good ones)."""
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeTarget(f"The host {target.host} cannot be resolved.") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]
    if not addresses:
        raise UnsafeTarget(f"The host {target.host} cannot be resolved.")
    if not get_settings().webhook_allow_private:
        for address in addresses:
            if is_forbidden(address):
                raise UnsafeTarget(
                    f"The host {target.host} resolves to {address}, which is not a public address."
                )
    return addresses[0]
