"""How the pages show the API's values: times in the event's own zone, a venue on a map."""

from __future__ import annotations

import base64
import contextlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OSM = "https://www.openstreetmap.org/"


def local_time(value: str | None, zone: str | None = None) -> str:
    """`2026-12-05T17:00:00+00:00` in Europe/Berlin → `2026-12-05 18:00`: the time people
    will see on the clocks where the event happens."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
        moment = moment.astimezone(ZoneInfo(zone)) if zone else moment
    return moment.strftime("%Y-%m-%d %H:%M")


def map_url(venue: dict[str, Any]) -> str:
    """OpenStreetMap at the venue's point, else a search for its address: a link, never an
    embedded map that would track readers."""
    lat, lon = venue.get("lat"), venue.get("lon")
    if lat is not None and lon is not None:
        return f"{OSM}?{urlencode({'mlat': lat, 'mlon': lon})}#map=17/{lat}/{lon}"
    query = ", ".join(part for part in (venue.get("name"), venue.get("address")) if part)
    return f"{OSM}search?{urlencode({'query': query})}"


def svg_image(svg: str) -> str:
    """The API's QR picture as an `<img>` source: an image, so no markup of it runs in the
    page whatever it holds."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def origin_of(url: str) -> str:
    """`https://media.example.org/b/k?sig=…` → `https://media.example.org`: what a page's
    policy names to let its pictures load."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "'self'"
    return f"{parts.scheme}://{parts.netloc}"
