"""Where the cached reads of events live in Redis: read by `shared.events.cache`, invalidated by
`shared.events.invalidation`, which the models load (neither needs the other)."""

from shared.cache.versioned import VersionedCache
from shared.config import get_settings

PAGES = VersionedCache("event", lambda: get_settings().cache_event_page_seconds)
LISTS = VersionedCache("events", lambda: get_settings().cache_list_page_seconds)
CATEGORIES = VersionedCache("categories", lambda: get_settings().cache_event_page_seconds)
# The one scope of the lists and of the categories, and the one key of a page.
ALL = "all"
PUBLIC_PAGE = "public"
