"""Hot reads served from Redis: event pages, the first page of each list, the categories.

Invalidation cannot be forgotten: a session hook (`shared.events.invalidation`, registered
with the models) notes every event (and category) a transaction inserts, changes or deletes,
and the unit of work invalidates their entries (`shared.events.cache_entries`) right after the
commit, before the writer's answer leaves. Seat counts alone change an event's page but not the
lists, which show them at most `CACHE_LIST_PAGE_SECONDS` late: a rush of joins would otherwise
empty every list cache on every seat taken.

Each body is filed with its entity tag in front of it (`_filed`): a hit is answered, and a
client's copy revalidated (`If-None-Match`), without hashing the body on every request.

A hit needs neither SQLAlchemy nor the models: the loaders below import the PostgreSQL side on
the first miss, so a function answering from the cache starts without it (bench/startup.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable

from shared.cache.flights import Flights
from shared.cache.versioned import Lookup
from shared.db import read_on_thread, single_statement, unit_of_work
from shared.events.cache_entries import ALL, CATEGORIES, LISTS, PAGES, PUBLIC_PAGE
from shared.events.filters import EventFilters
from shared.events.schemas import CategoryList, CategoryPublic, EventPublic
from shared.kit.conditional import Tagged, entity_tag
from shared.pagination import DEFAULT_LIMIT

_LOADS: Flights[Tagged] = Flights()
# A filed entry is the body's quoted tag (34 bytes), then the body; a JSON body never starts
# with a quote, so an entry filed before tags were (it lives one TTL at most) is told apart.
_TAG_LENGTH = 34


def _filed(body: bytes) -> tuple[Tagged, bytes]:
    """The body with its tag, and the entry that files both."""
    tagged = Tagged.of(body)
    return tagged, tagged.etag.encode() + body


def _unfiled(entry: bytes) -> Tagged:
    if entry[:1] == b'"':
        return Tagged(entry[_TAG_LENGTH:], entry[:_TAG_LENGTH].decode())
    return Tagged(entry, entity_tag(entry))


async def event_page(
    event_id: uuid.UUID, viewer_id: uuid.UUID | None, viewer_is_admin: bool
) -> Tagged:
    """The event as JSON. Only what everyone may see is cached: drafts and hidden events are
    read from PostgreSQL for the few who may see them. A hit is answered on the event loop;
    PostgreSQL is read on the thread pool."""
    lookup = await PAGES.get_async(str(event_id), PUBLIC_PAGE)
    if lookup.value is not None:
        if lookup.refresh:  # the cached page is what anyone may see: refreshed as anyone
            _refresh(
                ("page", event_id, None, False), lookup, _load_event_page, event_id, None, False
            )
        return _unfiled(lookup.value)
    flight = ("page", event_id, viewer_id, viewer_is_admin)
    return await _loaded(flight, lookup, _load_event_page, event_id, viewer_id, viewer_is_admin)


async def _loaded(
    flight: tuple[object, ...], lookup: Lookup, load: Callable[..., Tagged], *args: object
) -> Tagged:
    """A miss, read from PostgreSQL on a thread (`load(*args, lookup)`). When Redis
    answered the lookup, the concurrent misses of one entry at one version share one load."""
    if lookup.version is None:
        return await read_on_thread(load, *args, lookup)
    return await _LOADS.load((*flight, lookup.version), lambda: read_on_thread(load, *args, lookup))


def _refresh(
    flight: tuple[object, ...], lookup: Lookup, load: Callable[..., Tagged], *args: object
) -> None:
    """A hit close to its expiry: one load in the background files a fresh entry under the
    version the lookup read (a change since has a version of its own, loaded by its readers),
    so no request waits on the reload the expiry would cost. A miss of that moment joins it."""
    _LOADS.start((*flight, lookup.version), lambda: read_on_thread(load, *args, lookup))


def _load_event_page(
    event_id: uuid.UUID, viewer_id: uuid.UUID | None, viewer_is_admin: bool, lookup: Lookup
) -> Tagged:
    """A public event in one statement; a draft or hidden one through the rights check, for
    the few who may see it."""
    from shared.events import repository
    from shared.events.errors import EventNotFound
    from shared.events.service import is_public, visible_event

    with single_statement() as connection:
        row = repository.shown(connection, event_id)
    if row is not None and is_public(row):
        tagged, entry = _filed(EventPublic.of(row).model_dump_json().encode())
        PAGES.store(str(event_id), PUBLIC_PAGE, lookup, entry)
        return tagged
    if row is None or (viewer_id is None and not viewer_is_admin):
        raise EventNotFound(f"No event {event_id}.")  # as `visible_event` says it
    with unit_of_work() as session:
        event = visible_event(session, event_id, viewer_id, viewer_is_admin)
        return Tagged.of(EventPublic.of(event).model_dump_json().encode())


async def event_list(filters: EventFilters, *, cursor: str | None, limit: int) -> Tagged:
    """A page of the public list as JSON. Cached: the first page of the popular lists (all,
    by category, tag or organizer, default size); free text and dates are endless and would
    let a client fill Redis with one-off pages."""
    popular = filters.q is None and filters.starts_from is None and filters.starts_before is None
    if cursor is not None or not popular or limit != DEFAULT_LIMIT:
        return await read_on_thread(_load_list_page, filters, cursor, limit)
    key = _list_key(filters, limit)
    lookup = await LISTS.get_async(ALL, key)
    if lookup.value is not None:
        if lookup.refresh:
            _refresh(("list", key), lookup, _load_first_list_page, filters, key, limit)
        return _unfiled(lookup.value)
    return await _loaded(("list", key), lookup, _load_first_list_page, filters, key, limit)


def _load_list_page(filters: EventFilters, cursor: str | None, limit: int) -> Tagged:
    from shared.events.service import list_events

    with single_statement() as connection:
        page = list_events(connection, filters, cursor=cursor, limit=limit)
    return Tagged.of(page.model_dump_json().encode())


def _load_first_list_page(filters: EventFilters, key: str, limit: int, lookup: Lookup) -> Tagged:
    from shared.events.service import list_events

    with single_statement() as connection:
        page = list_events(connection, filters, cursor=None, limit=limit)
    tagged, entry = _filed(page.model_dump_json().encode())
    LISTS.store(ALL, key, lookup, entry)
    return tagged


async def categories() -> Tagged:
    lookup = await CATEGORIES.get_async(ALL, ALL)
    if lookup.value is not None:
        if lookup.refresh:
            _refresh(("categories",), lookup, _load_categories)
        return _unfiled(lookup.value)
    return await _loaded(("categories",), lookup, _load_categories)


def _load_categories(lookup: Lookup) -> Tagged:
    from shared.events import repository

    with unit_of_work() as session:
        items = [CategoryPublic.model_validate(c) for c in repository.categories(session)]
    tagged, entry = _filed(CategoryList(items=items).model_dump_json().encode())
    CATEGORIES.store(ALL, ALL, lookup, entry)
    return tagged


def _list_key(filters: EventFilters, limit: int) -> str:
    described = {name: str(value) for name, value in vars(filters).items() if value is not None}
    described["limit"] = str(limit)
    canonical = json.dumps(described, sort_keys=True).encode()
    return hashlib.sha256(canonical).hexdigest()[:32]
