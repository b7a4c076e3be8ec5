"""The authorization matrix: every public route by every kind of caller → the status expected.

One row per route the functions declare (method, path template). The test compares this table
with the declarations, so a new route without a row fails until someone says who may call it.

Columns: anonymous, a participant, another organizer (no tie to the data), the owner (the
organizer whose event it is), its co-organizer and its steward (shared.teams.rights), an admin.
A team member with no right on a route is a stranger who can see the event: unless a row says
otherwise, they get what `other` gets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from functions.web.page import ASSETS as WEB_ASSETS
from shared.notifications.delivery import unsubscribe
from shared.registrations import tickets
from tests.reliability.world import BROWSER_KEYS, WEBHOOK_TYPE, Call, World
from tests.support import files
from tests.support.factories import PASSWORD

CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matrix//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:matrix-1@example.org\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20310501T180000Z\r\n"
    b"DTEND:20310501T200000Z\r\nSUMMARY:Imported\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@dataclass(frozen=True)
class Row:
    request: Callable[[World], Call]
    anonymous: int
    participant: int
    other: int
    owner: int
    admin: int
    # Set where the team member's rights (or sight of a draft) differ from a stranger's.
    co_organizer: int | None = None
    steward: int | None = None

    def expected(self, role: str) -> int:
        status: int | None = getattr(self, role)
        return self.other if status is None else status


def everyone(request: Callable[[World], Call], status: int) -> Row:
    """A route whose answer does not depend on who asks (public pages, token-bearing links)."""
    return Row(request, status, status, status, status, status)


def signed_in(request: Callable[[World], Call], status: int) -> Row:
    """Each person acting on their own account: 401 without a token, `status` with one."""
    return Row(request, 401, status, status, status, status)


def owner_only(request: Callable[[World], Call], status: int) -> Row:
    """The owner's event: strangers' roles stopped with 403, the owner and admins let through."""
    return Row(request, 401, 403, 403, status, status)


def managed(request: Callable[[World], Call], status: int) -> Row:
    """Managing the event: the owner, a co-organizer and admins; a steward is stopped."""
    return Row(request, 401, 403, 403, status, status, co_organizer=status)


def team_wide(request: Callable[[World], Call], status: int) -> Row:
    """The door's work (who is coming, checking in): the owner, the whole team, admins."""
    return Row(request, 401, 403, 403, status, status, co_organizer=status, steward=status)


def draft_seen(request: Callable[[World], Call]) -> Row:
    """A draft's page: 200 for the owner, its team and admins, 404 for everyone else."""
    return Row(request, 404, 404, 404, 200, 200, co_organizer=200, steward=200)


def in_discussion(request: Callable[[World], Call], status: int) -> Row:
    """An event's discussion: its confirmed participants, the owner, the whole team, admins."""
    return Row(request, 401, status, 403, status, status, co_organizer=status, steward=status)


def admin_only(request: Callable[[World], Call], status: int) -> Row:
    return Row(request, 401, 403, 403, 403, status)


def get(path: str) -> Callable[[World], Call]:
    return lambda world: Call("GET", path)


def _event_path(suffix: str = "", **event: str) -> Callable[[World], Call]:
    def build(world: World) -> Call:
        return Call("GET", f"/api/v1/events/{world.event(**event)['id']}{suffix}")

    return build


def _series_path(suffix: str = "", **series: str) -> Callable[[World], Call]:
    def build(world: World) -> Call:
        return Call("GET", f"/api/v1/series/{world.series(**series)['id']}{suffix}")

    return build


def _with(method: str, build: Callable[[World], Call], **extra: object) -> Callable[[World], Call]:
    def changed(world: World) -> Call:
        call = build(world)
        call.method = method
        for name, value in extra.items():
            setattr(call, name, value)
        return call

    return changed


def _review_path(event: dict[str, object], review: dict[str, object], suffix: str = "") -> str:
    return f"/api/v1/events/{event['id']}/reviews/{review['id']}{suffix}"


def _registration(suffix: str) -> Callable[[World], Call]:
    def build(world: World) -> Call:
        event = world.event()
        return Call(
            "POST", f"/api/v1/events/{event['id']}/registrations/{event['registration_id']}{suffix}"
        )

    return build


def _ticket_scan(suffix: str = "") -> Callable[[World], Call]:
    """The participant's ticket scanned at the door (online, or in an offline batch)."""

    def build(world: World) -> Call:
        event = world.event()
        code = tickets.code_for(uuid.UUID(event["id"]), uuid.UUID(event["registration_id"]))
        body: object = {"code": code}
        if suffix == "/batch":
            body = {"scans": [{"code": code, "scanned_at": "2030-01-01T00:00:00+00:00"}]}
        return Call("POST", f"/api/v1/events/{event['id']}/check-in{suffix}", json=body)

    return build


def _my_ticket(world: World) -> Call:
    registration = world.event()["registration_id"]
    return Call("GET", f"/api/v1/me/registrations/{registration}/ticket")


def _message(world: World) -> Call:
    """The participant's own message in a fresh event's discussion, to delete."""
    event = world.event()
    posted = world.client.post(
        f"/api/v1/events/{event['id']}/messages",
        headers=world.headers["participant"],
        json={"text": "hello"},
    )
    assert posted.status_code == 201, posted.text
    return Call("DELETE", f"/api/v1/events/{event['id']}/messages/{posted.json()['id']}")


def _stream(world: World) -> Call:
    call = _event_path("/messages/stream")(world)
    call.stream = True
    return call


def _media(world: World) -> Call:
    event, media = world.media()
    return Call("DELETE", f"/api/v1/events/{event['id']}/media/{media['id']}")


def _download(world: World) -> Call:
    _, media = world.media()
    link = urlsplit(media["url"])
    return Call("GET", f"{link.path}?{link.query}")


def _unsubscribe(method: str, prefix: str) -> Callable[[World], Call]:
    def build(world: World) -> Call:
        return Call(
            method, f"{prefix}/unsubscribe/{unsubscribe.token_for(world.ids['participant'])}"
        )

    return build


def _web_form(path: str) -> Callable[[World], Call]:
    """A page's form posted from elsewhere: no session, no CSRF token."""
    return lambda w: Call("POST", path.format(w.event()["id"]), data={"csrf": "forged"})


def _web_page(path: str) -> Callable[[World], Call]:
    return lambda w: Call("GET", path.format(w.event()["id"]))


def _fresh_email() -> str:
    return f"matrix-{uuid.uuid4().hex[:10]}@example.org"


ANY_ID = "00000000-0000-4000-8000-000000000000"
# A browser's push subscription as push.js sends it (the web function checks only its shape).
_A_SUBSCRIPTION = {
    "endpoint": "https://fcm.googleapis.com/fcm/send/matrix",
    "keys": {"p256dh": "BNc" + "A" * 84, "auth": "A" * 22},
}

MATRIX: dict[tuple[str, str], Row] = {
    # account: each caller's own profile
    ("GET", "/api/v1/users/me"): signed_in(get("/api/v1/users/me"), 200),
    ("PATCH", "/api/v1/users/me"): signed_in(
        lambda w: Call("PATCH", "/api/v1/users/me", json={"full_name": "Renamed"}), 200
    ),
    ("GET", "/api/v1/users/me/export"): signed_in(get("/api/v1/users/me/export"), 200),
    ("DELETE", "/api/v1/users/me"): signed_in(
        lambda w: Call("DELETE", "/api/v1/users/me", json={"password": PASSWORD}), 204
    ),
    ("POST", "/api/v1/users/me/password"): signed_in(
        lambda w: Call(
            "POST",
            "/api/v1/users/me/password",
            json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        ),
        204,
    ),
    # admin_users
    ("GET", "/api/v1/admin/users"): admin_only(get("/api/v1/admin/users"), 200),
    ("PATCH", "/api/v1/admin/users/{user_id}"): admin_only(
        lambda w: Call(
            "PATCH", f"/api/v1/admin/users/{w.ids['participant']}", json={"is_active": True}
        ),
        200,
    ),
    ("GET", "/api/v1/admin/audit"): admin_only(get("/api/v1/admin/audit"), 200),
    # analytics
    ("GET", "/api/v1/analytics/events/{event_id}"): managed(
        lambda w: Call("GET", f"/api/v1/analytics/events/{w.event()['id']}"), 200
    ),
    ("GET", "/api/v1/analytics/categories/popular"): everyone(
        get("/api/v1/analytics/categories/popular"), 200
    ),
    ("GET", "/api/v1/analytics/users/{user_id}/activity"): Row(
        lambda w: Call("GET", f"/api/v1/analytics/users/{w.ids['participant']}/activity"),
        401,
        200,
        403,
        403,
        200,
    ),
    # browse_events: a draft is seen by its owner, its team and admins only
    ("GET", "/api/v1/events"): everyone(get("/api/v1/events"), 200),
    ("GET", "/api/v1/events/{event_id}"): draft_seen(_event_path(status="draft")),
    ("GET", "/api/v1/me/events"): Row(get("/api/v1/me/events"), 401, 403, 200, 200, 200),
    # my_registrations: the caller's own place at an event (a draft's: its owner and team)
    ("GET", "/api/v1/events/{event_id}/me"): signed_in(_event_path("/me"), 200),
    ("GET", "/api/v1/categories"): everyone(get("/api/v1/categories"), 200),
    # build_report
    ("POST", "/api/v1/reports"): managed(
        lambda w: Call(
            "POST",
            "/api/v1/reports",
            json={"kind": "event_attendance", "event_id": w.event()["id"], "format": "csv"},
        ),
        202,
    ),
    # Someone else's report does not exist for you, unless you run its event too.
    ("GET", "/api/v1/reports/{report_id}"): Row(
        lambda w: Call("GET", f"/api/v1/reports/{w.report()}"),
        401,
        404,
        404,
        200,
        200,
        co_organizer=200,
    ),
    ("GET", "/api/v1/events/{event_id}/reports"): managed(_event_path("/reports"), 200),
    ("GET", "/reports/download.js"): everyone(get("/reports/download.js"), 200),
    # The page only asks the reader to sign in; the report itself is behind the API above.
    ("GET", "/reports/{report_id}"): everyone(get(f"/reports/{ANY_ID}"), 200),
    # calendar
    ("GET", "/api/v1/events/{event_id}/calendar.ics"): draft_seen(
        _event_path("/calendar.ics", status="draft")
    ),
    ("GET", "/api/v1/events/{event_id}/calendar/google"): draft_seen(
        _event_path("/calendar/google", status="draft")
    ),
    ("GET", "/api/v1/me/calendar-feed"): signed_in(get("/api/v1/me/calendar-feed"), 200),
    ("POST", "/api/v1/me/calendar-feed/rotate"): signed_in(
        lambda w: Call("POST", "/api/v1/me/calendar-feed/rotate"), 200
    ),
    # The feed's secret link is the credential: whoever holds it reads it.
    ("GET", "/api/v1/calendar/feeds/{token}.ics"): everyone(
        lambda w: Call("GET", w.feed_path()), 200
    ),
    # create_event, import_calendar: organizers and admins
    ("POST", "/api/v1/events"): Row(
        lambda w: Call(
            "POST",
            "/api/v1/events",
            json={
                "title": "Matrix",
                "description": "",
                "starts_at": "2031-05-01T18:00:00+00:00",
                "ends_at": "2031-05-01T20:00:00+00:00",
                "timezone": "UTC",
                "category": "meetup",
            },
        ),
        401,
        403,
        201,
        201,
        201,
    ),
    # manage_series: organizers and admins make one; seen as its dates are, changed by whoever
    # manages all its coming dates.
    ("POST", "/api/v1/series"): Row(
        lambda w: Call(
            "POST",
            "/api/v1/series",
            json={
                "title": "Matrix",
                "description": "",
                "starts_at": "2031-05-01T18:00:00+00:00",
                "ends_at": "2031-05-01T20:00:00+00:00",
                "timezone": "UTC",
                "category": "meetup",
                "rrule": "FREQ=WEEKLY;COUNT=2",
            },
        ),
        401,
        403,
        201,
        201,
        201,
    ),
    ("GET", "/api/v1/series/{series_id}"): draft_seen(_series_path(status="draft")),
    ("GET", "/api/v1/me/series"): Row(get("/api/v1/me/series"), 401, 403, 200, 200, 200),
    ("GET", "/api/v1/series/{series_id}/calendar.ics"): draft_seen(
        _series_path("/calendar.ics", status="draft")
    ),
    ("PATCH", "/api/v1/series/{series_id}"): managed(
        _with("PATCH", _series_path(), json={"title": "Changed"}), 200
    ),
    ("POST", "/api/v1/calendar/import"): Row(
        lambda w: Call(
            "POST",
            "/api/v1/calendar/import",
            content=CALENDAR,
            headers={"Content-Type": "text/calendar"},
        ),
        401,
        403,
        201,
        201,
        201,
    ),
    # join_event, leave_event: the participant is registered already (200: the same one)
    ("POST", "/api/v1/events/{event_id}/registrations"): Row(
        _with("POST", _event_path("/registrations")), 401, 200, 201, 201, 201
    ),
    ("DELETE", "/api/v1/events/{event_id}/registrations/me"): Row(
        _with("DELETE", _event_path("/registrations/me")), 401, 204, 404, 404, 404
    ),
    # a claim needs a seat offered to the caller: nobody here holds one (409 no-offer)
    ("POST", "/api/v1/events/{event_id}/registrations/me/claim"): Row(
        _with("POST", _event_path("/registrations/me/claim")), 401, 409, 409, 409, 409
    ),
    # login
    ("POST", "/api/v1/auth/login"): everyone(
        lambda w: Call(
            "POST", "/api/v1/auth/login", json={"email": _fresh_email(), "password": PASSWORD}
        ),
        401,
    ),
    ("POST", "/api/v1/auth/refresh"): everyone(
        lambda w: Call("POST", "/api/v1/auth/refresh", json={"refresh_token": "x" * 40}), 401
    ),
    ("POST", "/api/v1/auth/logout"): signed_in(lambda w: Call("POST", "/api/v1/auth/logout"), 204),
    ("GET", "/api/v1/auth/jwks.json"): everyone(get("/api/v1/auth/jwks.json"), 200),
    # follow_organizers: profiles and feeds are public; following oneself is refused
    ("GET", "/api/v1/organizers/{organizer_id}"): everyone(
        lambda w: Call("GET", f"/api/v1/organizers/{w.ids['owner']}"), 200
    ),
    ("GET", "/api/v1/organizers/{organizer_id}/calendar.ics"): everyone(
        lambda w: Call("GET", f"/api/v1/organizers/{w.ids['owner']}/calendar.ics"), 200
    ),
    ("POST", "/api/v1/organizers/{organizer_id}/follow"): Row(
        lambda w: Call("POST", f"/api/v1/organizers/{w.ids['owner']}/follow"),
        401,
        204,
        204,
        422,
        204,
    ),
    ("DELETE", "/api/v1/organizers/{organizer_id}/follow"): signed_in(
        lambda w: Call("DELETE", f"/api/v1/organizers/{w.ids['owner']}/follow"), 204
    ),
    ("GET", "/api/v1/me/following"): signed_in(get("/api/v1/me/following"), 200),
    # mail_events: SendGrid's signed webhook; a bearer token proves nothing there
    ("POST", "/api/v1/webhooks/sendgrid"): everyone(
        lambda w: Call("POST", "/api/v1/webhooks/sendgrid", json=[]), 401
    ),
    # webhooks: any organizer keeps their own; someone else's (even an admin's view) is unknown
    ("POST", "/api/v1/webhooks"): Row(
        lambda w: Call(
            "POST",
            "/api/v1/webhooks",
            json={"url": "https://93.184.215.14/hook", "types": [WEBHOOK_TYPE]},
        ),
        401,
        403,
        201,
        201,
        201,
    ),
    ("GET", "/api/v1/webhooks"): Row(get("/api/v1/webhooks"), 401, 403, 200, 200, 200),
    ("GET", "/api/v1/webhooks/{webhook_id}"): Row(
        lambda w: Call("GET", f"/api/v1/webhooks/{w.webhook()}"), 401, 403, 404, 200, 404
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Row(
        lambda w: Call("DELETE", f"/api/v1/webhooks/{w.webhook()}"), 401, 403, 404, 204, 404
    ),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Row(
        lambda w: Call("GET", f"/api/v1/webhooks/{w.webhook()}/deliveries"),
        401,
        403,
        404,
        200,
        404,
    ),
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): Row(
        lambda w: Call(
            "POST",
            "/api/v1/webhooks/{}/deliveries/{}/redeliver".format(*w.webhook_delivery()),
        ),
        401,
        403,
        404,
        202,
        404,
    ),
    # manage_participants: stewards list and check in; removing someone is managing
    ("GET", "/api/v1/events/{event_id}/registrations"): team_wide(
        _event_path("/registrations"), 200
    ),
    ("POST", "/api/v1/events/{event_id}/registrations/{registration_id:uuid}/check-in"): team_wide(
        _registration("/check-in"), 200
    ),
    ("DELETE", "/api/v1/events/{event_id}/registrations/{registration_id:uuid}"): managed(
        _with("DELETE", _registration("")), 204
    ),
    # event_discussions: confirmed participants, the team and admins talk; managers announce
    ("GET", "/api/v1/events/{event_id}/messages"): in_discussion(_event_path("/messages"), 200),
    ("POST", "/api/v1/events/{event_id}/messages"): in_discussion(
        _with("POST", _event_path("/messages"), json={"text": "hi"}), 201
    ),
    ("DELETE", "/api/v1/events/{event_id}/messages/{message_id}"): in_discussion(_message, 204),
    ("GET", "/api/v1/events/{event_id}/messages/stream"): in_discussion(_stream, 200),
    ("POST", "/api/v1/events/{event_id}/announcements"): managed(
        _with("POST", _event_path("/announcements"), json={"title": "t", "text": "x"}), 202
    ),
    # manage_team: the owner and admins only; the team itself cannot change the team
    ("POST", "/api/v1/events/{event_id}/team"): owner_only(
        lambda w: Call(
            "POST",
            f"/api/v1/events/{w.event()['id']}/team",
            json={"email": w.emails["other"], "role": "steward"},
        ),
        201,
    ),
    ("GET", "/api/v1/events/{event_id}/team"): owner_only(_event_path("/team"), 200),
    ("DELETE", "/api/v1/events/{event_id}/team/{user_id}"): owner_only(
        lambda w: Call("DELETE", f"/api/v1/events/{w.event()['id']}/team/{w.ids['steward']}"),
        204,
    ),
    ("POST", "/api/v1/events/{event_id}/check-in"): team_wide(_ticket_scan(), 200),
    ("GET", "/api/v1/events/{event_id}/check-in/snapshot"): team_wide(
        _event_path("/check-in/snapshot"), 200
    ),
    ("POST", "/api/v1/events/{event_id}/check-in/batch"): team_wide(_ticket_scan("/batch"), 200),
    # review_events: only someone checked in at the event reviews it (here the participant;
    # no organizer or admin was at the door), its author edits it, the owner, a co-organizer
    # and admins reply, admins moderate
    ("POST", "/api/v1/events/{event_id}/reviews"): Row(
        lambda w: Call("POST", f"/api/v1/events/{w.attended()['id']}/reviews", json={"rating": 5}),
        401,
        201,
        403,
        403,
        403,
    ),
    ("GET", "/api/v1/events/{event_id}/reviews"): everyone(_event_path("/reviews"), 200),
    ("PATCH", "/api/v1/events/{event_id}/reviews/{review_id}"): Row(
        lambda w: Call("PATCH", _review_path(*w.review()), json={"rating": 2}),
        401,
        200,
        403,
        403,
        403,
    ),
    ("POST", "/api/v1/events/{event_id}/reviews/{review_id}/reply"): managed(
        lambda w: Call("POST", _review_path(*w.review(), "/reply"), json={"text": "Thanks"}), 201
    ),
    ("PATCH", "/api/v1/events/{event_id}/reviews/{review_id}/reply"): managed(
        lambda w: Call(
            "PATCH", _review_path(*w.review(replied=True), "/reply"), json={"text": "Thanks"}
        ),
        200,
    ),
    ("GET", "/api/v1/admin/reviews"): admin_only(get("/api/v1/admin/reviews"), 200),
    ("POST", "/api/v1/admin/reviews/{review_id}/moderation"): admin_only(
        lambda w: Call(
            "POST",
            f"/api/v1/admin/reviews/{w.review()[1]['id']}/moderation",
            json={"action": "hide"},
        ),
        200,
    ),
    # moderate_events
    ("POST", "/api/v1/events/{event_id}/reports-abuse"): signed_in(
        _with("POST", _event_path("/reports-abuse"), json={"reason": "spam"}), 202
    ),
    ("GET", "/api/v1/admin/events"): admin_only(get("/api/v1/admin/events"), 200),
    ("POST", "/api/v1/admin/events/{event_id}/moderation"): admin_only(
        lambda w: Call(
            "POST", f"/api/v1/admin/events/{w.event()['id']}/moderation", json={"action": "hide"}
        ),
        200,
    ),
    ("POST", "/api/v1/categories"): admin_only(
        lambda w: Call(
            "POST",
            "/api/v1/categories",
            json={"slug": f"c-{uuid.uuid4().hex[:8]}", "name": "Matrix"},
        ),
        201,
    ),
    # my_notifications, my_registrations: someone else's notification does not exist for you
    ("GET", "/api/v1/me/notifications"): signed_in(get("/api/v1/me/notifications"), 200),
    ("POST", "/api/v1/me/notifications/{notification_id}/read"): Row(
        lambda w: Call("POST", f"/api/v1/me/notifications/{w.notification()}/read"),
        401,
        204,
        404,
        404,
        404,
    ),
    ("GET", "/api/v1/me/registrations"): signed_in(get("/api/v1/me/registrations"), 200),
    # The participant's own seat; anyone else's registration does not exist for them.
    ("GET", "/api/v1/me/registrations/{registration_id}/ticket"): Row(
        _my_ticket, 401, 200, 404, 404, 404
    ),
    # achievements
    ("GET", "/api/v1/me/gamification"): signed_in(get("/api/v1/me/gamification"), 200),
    ("PUT", "/api/v1/me/gamification"): signed_in(
        lambda w: Call("PUT", "/api/v1/me/gamification", json={"enabled": True, "public": False}),
        200,
    ),
    ("GET", "/api/v1/me/achievements"): signed_in(get("/api/v1/me/achievements"), 200),
    ("GET", "/api/v1/leaderboard"): everyone(get("/api/v1/leaderboard?period=all"), 200),
    # notification_settings
    ("GET", "/api/v1/me/notification-settings"): signed_in(
        get("/api/v1/me/notification-settings"), 200
    ),
    ("PUT", "/api/v1/me/notification-settings"): signed_in(
        lambda w: Call(
            "PUT",
            "/api/v1/me/notification-settings",
            json={"email": True, "push": False, "reminders": ["24h"]},
        ),
        200,
    ),
    ("GET", "/api/v1/push/public-key"): everyone(get("/api/v1/push/public-key"), 200),
    ("POST", "/api/v1/me/push-subscriptions"): signed_in(
        lambda w: Call(
            "POST",
            "/api/v1/me/push-subscriptions",
            json={
                "endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
                "keys": BROWSER_KEYS,
            },
        ),
        201,
    ),
    ("DELETE", "/api/v1/me/push-subscriptions/{subscription_id}"): Row(
        lambda w: Call("DELETE", f"/api/v1/me/push-subscriptions/{w.push_subscription()}"),
        401,
        204,
        404,
        404,
        404,
    ),
    ("POST", "/api/v1/me/api-keys"): signed_in(
        lambda w: Call(
            "POST", "/api/v1/me/api-keys", json={"name": "n", "scopes": ["events:read"]}
        ),
        201,
    ),
    ("GET", "/api/v1/me/api-keys"): signed_in(get("/api/v1/me/api-keys"), 200),
    ("DELETE", "/api/v1/me/api-keys/{key_id}"): Row(
        lambda w: Call("DELETE", f"/api/v1/me/api-keys/{w.api_key()}"), 401, 204, 404, 404, 404
    ),
    # register, reset_password, verify_email: anyone; a token changes nothing
    ("POST", "/api/v1/auth/register"): everyone(
        lambda w: Call(
            "POST",
            "/api/v1/auth/register",
            json={"email": _fresh_email(), "password": PASSWORD, "full_name": "New"},
        ),
        201,
    ),
    ("POST", "/api/v1/auth/password-reset"): everyone(
        lambda w: Call("POST", "/api/v1/auth/password-reset", json={"email": _fresh_email()}), 202
    ),
    ("POST", "/api/v1/auth/password-reset/confirm"): everyone(
        lambda w: Call(
            "POST",
            "/api/v1/auth/password-reset/confirm",
            json={"token": "x" * 40, "new_password": "a brand new passphrase"},
        ),
        400,
    ),
    ("GET", "/reset-password"): everyone(get("/reset-password?token=abc"), 200),
    ("POST", "/reset-password"): everyone(
        lambda w: Call(
            "POST",
            "/reset-password",
            data={"token": "x" * 40, "new_password": "a brand new passphrase"},
        ),
        400,
    ),
    ("POST", "/api/v1/auth/verify-email"): everyone(
        lambda w: Call("POST", "/api/v1/auth/verify-email", json={"token": "x" * 40}), 400
    ),
    ("POST", "/api/v1/auth/verify-email/resend"): everyone(
        lambda w: Call("POST", "/api/v1/auth/verify-email/resend", json={"email": _fresh_email()}),
        202,
    ),
    ("GET", "/verify-email"): everyone(get("/verify-email?token=abc"), 200),
    ("POST", "/verify-email"): everyone(
        lambda w: Call("POST", "/verify-email", data={"token": "x" * 40}), 400
    ),
    # unsubscribe: the signed link is the credential
    ("GET", "/unsubscribe/{token}"): everyone(_unsubscribe("GET", ""), 200),
    ("GET", "/api/v1/unsubscribe/{token}"): everyone(_unsubscribe("GET", "/api/v1"), 200),
    ("POST", "/unsubscribe/{token}"): everyone(_unsubscribe("POST", ""), 200),
    ("POST", "/api/v1/unsubscribe/{token}"): everyone(_unsubscribe("POST", "/api/v1"), 200),
    # update_event
    ("PATCH", "/api/v1/events/{event_id}"): managed(
        _with("PATCH", _event_path(), json={"title": "Changed"}), 200
    ),
    # Another organizer cannot see a draft at all; a steward sees it but may not publish it.
    ("POST", "/api/v1/events/{event_id}/publish"): Row(
        _with("POST", _event_path("/publish", status="draft")),
        401,
        403,
        404,
        200,
        200,
        co_organizer=200,
        steward=403,
    ),
    ("POST", "/api/v1/events/{event_id}/cancel"): managed(
        _with("POST", _event_path("/cancel")), 200
    ),
    # Deleting is the owner's (and admins'): not a co-organizer's.
    ("DELETE", "/api/v1/events/{event_id}"): owner_only(_with("DELETE", _event_path()), 204),
    # upload_media: a draft's files are seen by its owner, its team and admins only
    ("POST", "/api/v1/events/{event_id}/media"): managed(
        lambda w: Call(
            "POST",
            f"/api/v1/events/{w.event()['id']}/media",
            files={"file": ("p.png", files.png(), "image/png")},
        ),
        201,
    ),
    ("GET", "/api/v1/events/{event_id}/media"): draft_seen(_event_path("/media", status="draft")),
    ("DELETE", "/api/v1/events/{event_id}/media/{media_id}"): managed(_media, 204),
    # A signed, expiring download link is the credential.
    ("GET", "/api/v1/files/{name}"): everyone(_download, 200),
    # web: pages for people. Who they are travels in the session cookie, never in a bearer
    # token, so every caller here is an anonymous visitor; a form without its CSRF token is
    # refused whoever sends it, and the account page sends a visitor to sign in.
    ("GET", "/"): everyone(get("/"), 200),
    ("GET", "/events/{event_id}"): Row(
        lambda w: Call("GET", f"/events/{w.event()['id']}"), 200, 200, 200, 200, 200
    ),
    ("POST", "/events/{event_id}/register"): everyone(_web_form("/events/{}/register"), 403),
    ("POST", "/events/{event_id}/leave"): everyone(_web_form("/events/{}/leave"), 403),
    ("GET", "/signin"): everyone(get("/signin"), 200),
    ("POST", "/signin"): everyone(_web_form("/signin"), 403),
    ("GET", "/signup"): everyone(get("/signup"), 200),
    ("POST", "/signup"): everyone(_web_form("/signup"), 403),
    ("POST", "/signout"): everyone(_web_form("/signout"), 403),
    ("GET", "/forgot-password"): everyone(get("/forgot-password"), 200),
    ("POST", "/forgot-password"): everyone(_web_form("/forgot-password"), 403),
    ("GET", "/account/registrations"): everyone(get("/account/registrations"), 200),
    ("GET", "/static/{name}"): everyone(lambda w: Call("GET", WEB_ASSETS.url("app.css")), 200),
    # web: admin pages (a visitor is sent to sign in; forms without their token refused),
    # account pages, and the embeddable widget, which anyone may read.
    ("GET", "/admin"): everyone(get("/admin"), 200),
    ("GET", "/admin/users"): everyone(get("/admin/users"), 200),
    ("POST", "/admin/users/{user_id}"): everyone(_web_form("/admin/users/{}"), 403),
    ("GET", "/admin/moderation"): everyone(get("/admin/moderation"), 200),
    ("POST", "/admin/moderation"): everyone(_web_form("/admin/moderation"), 403),
    ("GET", "/admin/reviews"): everyone(get("/admin/reviews"), 200),
    ("POST", "/admin/reviews"): everyone(_web_form("/admin/reviews"), 403),
    ("GET", "/admin/audit"): everyone(get("/admin/audit"), 200),
    ("GET", "/account"): everyone(get("/account"), 200),
    ("POST", "/account"): everyone(_web_form("/account"), 403),
    ("POST", "/account/password"): everyone(_web_form("/account/password"), 403),
    ("GET", "/account/notifications"): everyone(get("/account/notifications"), 200),
    ("POST", "/account/notifications/{notification_id}/read"): everyone(
        _web_form("/account/notifications/{}/read"), 403
    ),
    ("GET", "/account/settings"): everyone(get("/account/settings"), 200),
    ("POST", "/account/settings"): everyone(_web_form("/account/settings"), 403),
    ("POST", "/account/settings/feed"): everyone(_web_form("/account/settings/feed"), 403),
    # push.js's JSON calls: a visitor has no session to subscribe a browser for.
    ("POST", "/account/settings/push"): everyone(
        lambda w: Call("POST", "/account/settings/push", json=_A_SUBSCRIPTION), 401
    ),
    ("POST", "/account/settings/push/off"): everyone(
        lambda w: Call("POST", "/account/settings/push/off", json=_A_SUBSCRIPTION), 401
    ),
    ("GET", "/account/export"): everyone(get("/account/export"), 200),
    ("GET", "/account/delete"): everyone(get("/account/delete"), 200),
    ("POST", "/account/delete"): everyone(_web_form("/account/delete"), 403),
    ("GET", "/account/widget"): everyone(get("/account/widget"), 200),
    ("GET", "/widget/organizers/{organizer_id}"): everyone(
        get(f"/widget/organizers/{ANY_ID}"), 200
    ),
    # People: an organizer's public page and an event's reviews are for everyone.
    ("GET", "/organizers/{organizer_id}"): everyone(
        lambda w: Call("GET", f"/organizers/{w.ids['owner']}"), 200
    ),
    ("POST", "/organizers/{organizer_id}/follow"): everyone(
        _web_form("/organizers/{}/follow"), 403
    ),
    ("POST", "/organizers/{organizer_id}/unfollow"): everyone(
        _web_form("/organizers/{}/unfollow"), 403
    ),
    ("GET", "/events/{event_id}/reviews"): everyone(_web_page("/events/{}/reviews"), 200),
    ("POST", "/events/{event_id}/reviews"): everyone(_web_form("/events/{}/reviews"), 403),
    ("POST", "/events/{event_id}/reviews/{review_id}/reply"): everyone(
        lambda w: Call(
            "POST", f"/events/{w.event()['id']}/reviews/{ANY_ID}/reply", data={"csrf": "forged"}
        ),
        403,
    ),
    # The organizer's pages: a visitor without a session is sent to sign in (followed: 200).
    ("GET", "/organize"): everyone(get("/organize"), 200),
    ("GET", "/organize/events/new"): everyone(get("/organize/events/new"), 200),
    ("POST", "/organize/events/new"): everyone(_web_form("/organize/events/new"), 403),
    ("GET", "/organize/events/{event_id}"): everyone(_web_page("/organize/events/{}"), 200),
    ("POST", "/organize/events/{event_id}"): everyone(_web_form("/organize/events/{}"), 403),
    ("GET", "/organize/events/{event_id}/publish"): everyone(
        _web_page("/organize/events/{}/publish"), 200
    ),
    ("GET", "/organize/events/{event_id}/cancel"): everyone(
        _web_page("/organize/events/{}/cancel"), 200
    ),
    ("GET", "/organize/events/{event_id}/team"): everyone(
        _web_page("/organize/events/{}/team"), 200
    ),
    ("GET", "/organize/events/{event_id}/participants"): everyone(
        _web_page("/organize/events/{}/participants"), 200
    ),
    ("GET", "/organize/events/{event_id}/media"): everyone(
        _web_page("/organize/events/{}/media"), 200
    ),
    ("GET", "/organize/events/{event_id}/statistics"): everyone(
        _web_page("/organize/events/{}/statistics"), 200
    ),
    ("GET", "/organize/events/{event_id}/reports"): everyone(
        _web_page("/organize/events/{}/reports"), 200
    ),
    ("POST", "/organize/events/{event_id}/publish"): everyone(
        _web_form("/organize/events/{}/publish"), 403
    ),
    ("POST", "/organize/events/{event_id}/cancel"): everyone(
        _web_form("/organize/events/{}/cancel"), 403
    ),
    ("POST", "/organize/events/{event_id}/team"): everyone(
        _web_form("/organize/events/{}/team"), 403
    ),
    ("POST", "/organize/events/{event_id}/media"): everyone(
        _web_form("/organize/events/{}/media"), 403
    ),
    ("POST", "/organize/events/{event_id}/reports"): everyone(
        _web_form("/organize/events/{}/reports"), 403
    ),
    ("POST", "/organize/events/{event_id}/team/{user_id}/remove"): everyone(
        _web_form("/organize/events/{}/team/" + ANY_ID + "/remove"), 403
    ),
    ("POST", "/organize/events/{event_id}/media/{media_id}/remove"): everyone(
        _web_form("/organize/events/{}/media/" + ANY_ID + "/remove"), 403
    ),
    ("GET", "/organize/events/{event_id}/reports/{report_id}"): everyone(
        _web_page("/organize/events/{}/reports/" + ANY_ID), 200
    ),
    ("GET", "/organize/events/{event_id}/reports/{report_id}/download"): everyone(
        _web_page("/organize/events/{}/reports/" + ANY_ID + "/download"), 200
    ),
    # Tickets and the door: pages send a visitor to sign in (followed: 200); the door's own
    # JSON calls answer 401 without a session, forms without their token 403.
    ("GET", "/account/registrations/{registration_id}/ticket"): everyone(
        get(f"/account/registrations/{ANY_ID}/ticket"), 200
    ),
    ("GET", "/organize/events/{event_id}/door"): everyone(
        _web_page("/organize/events/{}/door"), 200
    ),
    ("GET", "/organize/events/{event_id}/door/snapshot"): everyone(
        _web_page("/organize/events/{}/door/snapshot"), 401
    ),
    ("GET", "/organize/events/{event_id}/door/worker.js"): everyone(
        _web_page("/organize/events/{}/door/worker.js"), 200
    ),
    ("POST", "/organize/events/{event_id}/door/check-in"): everyone(
        _web_form("/organize/events/{}/door/check-in"), 403
    ),
    ("POST", "/organize/events/{event_id}/door/code"): everyone(
        _web_form("/organize/events/{}/door/code"), 403
    ),
    ("POST", "/organize/events/{event_id}/door/scan"): everyone(
        lambda w: Call("POST", f"/organize/events/{w.event()['id']}/door/scan", json={"code": "X"}),
        401,
    ),
    ("POST", "/organize/events/{event_id}/door/sync"): everyone(
        lambda w: Call(
            "POST",
            f"/organize/events/{w.event()['id']}/door/sync",
            json={"scans": [{"code": "X", "scanned_at": "2026-01-01T00:00:00Z"}]},
        ),
        401,
    ),
    # API keys and series pages: a visitor is sent to sign in (followed: 200), forms without
    # their token are refused.
    ("GET", "/account/api-keys"): everyone(get("/account/api-keys"), 200),
    ("POST", "/account/api-keys"): everyone(_web_form("/account/api-keys"), 403),
    ("GET", "/account/api-keys/{key_id}/revoke"): everyone(
        get(f"/account/api-keys/{ANY_ID}/revoke"), 200
    ),
    ("POST", "/account/api-keys/{key_id}/revoke"): everyone(
        _web_form(f"/account/api-keys/{ANY_ID}/revoke"), 403
    ),
    ("GET", "/organize/series"): everyone(get("/organize/series"), 200),
    ("GET", "/organize/series/{series_id}"): everyone(get(f"/organize/series/{ANY_ID}"), 200),
    ("POST", "/organize/series/{series_id}"): everyone(
        _web_form(f"/organize/series/{ANY_ID}"), 403
    ),
    ("GET", "/organize/series/{series_id}/calendar.ics"): everyone(
        get(f"/organize/series/{ANY_ID}/calendar.ics"), 200
    ),
    # Discussion, announcement and achievements pages: a visitor is sent to sign in (followed:
    # 200), the discussion's JSON for its script answers 401, forms without their token 403;
    # the leaderboard is public.
    ("GET", "/events/{event_id}/discussion"): everyone(_web_page("/events/{}/discussion"), 200),
    ("POST", "/events/{event_id}/discussion"): everyone(_web_form("/events/{}/discussion"), 403),
    ("GET", "/events/{event_id}/discussion/messages"): everyone(
        _web_page("/events/{}/discussion/messages"), 401
    ),
    ("POST", "/events/{event_id}/discussion/{message_id}/delete"): everyone(
        _web_form("/events/{}/discussion/" + ANY_ID + "/delete"), 403
    ),
    ("GET", "/organize/events/{event_id}/announce"): everyone(
        _web_page("/organize/events/{}/announce"), 200
    ),
    ("POST", "/organize/events/{event_id}/announce"): everyone(
        _web_form("/organize/events/{}/announce"), 403
    ),
    ("GET", "/account/achievements"): everyone(get("/account/achievements"), 200),
    ("POST", "/account/achievements"): everyone(_web_form("/account/achievements"), 403),
    ("GET", "/leaderboard"): everyone(get("/leaderboard"), 200),
    ("GET", "/{page_path:path}"): everyone(get("/no/such/page"), 404),
}
