"""The public event page as a visitor without a session reads it, kept rendered.

Such a visitor's page is the same for everyone reading in that language, so it is rendered
once and its bytes kept. Each answer still asks the API whether the event changed (its ETag
in `If-None-Match`, answered 304 from the API's cache while current): seats left, times,
status and moderation are as fresh as the API's own page. What the event's tag does not
cover (the gallery, the first reviews, the organizer's name) is at most `FRESH_SECONDS`
late: the page is rendered again that often."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.responses import Response

from shared import process_state
from shared.cache.flights import Flights

FRESH_SECONDS = 10.0
# Pages kept per process (a few hundred KiB): the least recently read goes first.
MAX_PAGES = 500


@dataclass(frozen=True)
class Kept:
    etag: str
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]
    rendered_at: float

    def response(self) -> Response:
        answer = Response(self.body, self.status)
        answer.raw_headers = list(self.headers)
        return answer


class KeptPages:
    def __init__(self) -> None:
        self._pages: OrderedDict[tuple[str, str], Kept] = OrderedDict()
        self._lock = threading.Lock()  # pages render on the thread pool
        self.flights: Flights[Kept] = Flights()

    def get(self, key: tuple[str, str]) -> Kept | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if time.monotonic() - found.rendered_at > FRESH_SECONDS:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found

    def keep(self, key: tuple[str, str], etag: str | None, response: Response) -> Kept:
        """The rendered page as kept bytes; kept for later readers only when it is the
        event's page (an error page is answered once, and asked for again next time)."""
        kept = Kept(
            etag or "",
            response.status_code,
            bytes(response.body),
            list(response.raw_headers),
            time.monotonic(),
        )
        if etag and response.status_code == 200:
            with self._lock:
                self._pages[key] = kept
                self._pages.move_to_end(key)
                while len(self._pages) > MAX_PAGES:
                    self._pages.popitem(last=False)
        return kept


@process_state.cached
def kept_pages() -> KeptPages:
    return KeptPages()
