"""The catch-all route: every path the platform does not keep for itself goes to one function
(the web front end), after every declared route has had its chance.

A function declares it as a route whose whole path is one `path` parameter, `/{page:path}`.
The local gateway and the rendered Nginx config both try it last and never for the platform's
own paths, so an unknown API path stays a 404 problem and `/healthz` stays the gateway's.
"""

from __future__ import annotations

import re

# The platform's own paths: the API, the OpenFaaS-style function paths, the docs and the
# operations endpoints (the contract's "Web front end").
RESERVED_PREFIXES = ("api", "function", "docs")
RESERVED_PATHS = ("healthz", "readyz", "metrics", "openapi.json", "docs")
CATCH_ALL = re.compile(r"^/\{[a-zA-Z_][a-zA-Z0-9_]*:path\}$")
# What the catch-all matches, as a regular expression (Python's and PCRE's alike).
CATCH_ALL_REGEX = (
    "^/(?!(?:"
    + "|".join(RESERVED_PREFIXES)
    + ")/|(?:"
    + "|".join(re.escape(path) for path in RESERVED_PATHS)
    + ")$).*$"
)
_CATCHES = re.compile(CATCH_ALL_REGEX)


def is_catch_all(template: str) -> bool:
    return CATCH_ALL.match(template) is not None


def caught(path: str) -> bool:
    """Whether a catch-all route may serve this path (it is not one of the platform's)."""
    return _CATCHES.match(path) is not None
