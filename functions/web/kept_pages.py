"""The public event page as a visitor without a session reads it, kept rendered.

Such a visitor's page is the same for everyone reading in that language, so it is rendered
once and its bytes kept. It is answered from the kept bytes without asking the API for
`WEB_KEPT_PAGE_SECONDS` (1 s: micro-caching, as a CDN would; seats and status lag that much
at most, registering itself goes through the API and is exact). After that one request asks
the API whether the event changed (the event's ETag in `If-None-Match`, a 304 from the API's
cache while current) while the others go on being answered the kept copy; a change drops it
and the page is rendered again. What the event's tag does not cover (the gallery, the first
reviews, the organizer's name) is at most `FRESH_SECONDS` late: the page is rendered again
that often."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.responses import Response

from shared import process_state
from shared.cache.flights import Flights
from shared.config import get_settings
from shared.kit.conditional import Tagged, entity_tag

FRESH_SECONDS = 10.0
# Pages kept per process (a few hundred KiB): the least recently read goes first.
MAX_PAGES = 500
HTML = "text/html; charset=utf-8"
# Sent by the kit with every answer from kept bytes; the rest of the page's headers are kept.
_SENT_BY_KIT = {b"content-type", b"content-length", b"etag"}

Key = tuple[str, str]  # (event id, language)


@dataclass
class Kept:
    api_etag: str  # the API's event the page shows
    status: int
    tagged: Tagged  # the page's bytes, their own ETag and the page's headers
    rendered_at: float
    checked_at: float  # when the API last said the event is unchanged (or it was rendered)

    def response(self) -> Response:
        answer = Response(self.tagged.body, self.status, media_type=HTML)
        if self.status == 200:
            answer.headers["ETag"] = self.tagged.etag
        answer.raw_headers.extend(self.tagged.headers)
        return answer


class KeptPages:
    def __init__(self) -> None:
        self._pages: OrderedDict[Key, Kept] = OrderedDict()
        self._lock = threading.Lock()  # pages render on the thread pool
        self._asking: set[Key] = set()  # pages whose event the API is being asked about
        self.flights: Flights[Kept] = Flights()

    def get(self, key: Key) -> Kept | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if time.monotonic() - found.rendered_at > FRESH_SECONDS:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found

    async def current(self, key: Key, unchanged: Callable[[str], Awaitable[bool]]) -> Kept | None:
        """The kept page if it may be answered: within the window, or while another request
        asks the API, or once the API says the event is unchanged. None: render it again."""
        kept = self.get(key)
        if kept is None:
            return None
        window = get_settings().web_kept_page_seconds
        if time.monotonic() - kept.checked_at <= window or key in self._asking:
            return kept
        self._asking.add(key)
        try:
            if await unchanged(kept.api_etag):
                kept.checked_at = time.monotonic()
                return kept
            self._drop(key, kept)
            return None
        finally:
            self._asking.discard(key)

    def keep(self, key: Key, api_etag: str | None, response: Response) -> Kept:
        """The rendered page as kept bytes; kept for later readers only when it is the
        event's page (an error page is answered once, and asked for again next time)."""
        body = bytes(response.body)
        headers = tuple((k, v) for k, v in response.raw_headers if k not in _SENT_BY_KIT)
        now = time.monotonic()
        kept = Kept(
            api_etag or "", response.status_code, Tagged(body, entity_tag(body), headers), now, now
        )
        if api_etag and response.status_code == 200:
            with self._lock:
                self._pages[key] = kept
                self._pages.move_to_end(key)
                while len(self._pages) > MAX_PAGES:
                    self._pages.popitem(last=False)
        return kept

    def _drop(self, key: Key, kept: Kept) -> None:
        with self._lock:
            if self._pages.get(key) is kept:  # not a newer rendering kept meanwhile
                del self._pages[key]


@process_state.cached
def kept_pages() -> KeptPages:
    return KeptPages()
