"""The people of the authorization matrix and fresh data of theirs, made through the API.

Every request of the matrix gets its own fresh data (a new event, registration, file...), so a
role that deletes something never changes what the next role meets.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from shared.db import unit_of_work
from shared.notifications.models import Notification
from shared.webhooks.models import WebhookDelivery
from tests.support import files
from tests.support.factories import create_event, event_body, new_user, token_for

# Who calls. `co_organizer` and `steward` are on the team of every event the world makes.
ROLES = ("anonymous", "participant", "other", "steward", "co_organizer", "owner", "admin")
TEAM_ROLES = ("co_organizer", "steward")
# A browser's Web Push keys: a P-256 point and a 16-byte secret.
BROWSER_KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1X"
    "bjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}


WEBHOOK_TYPE = "org.eventmanager.registration.created"


@dataclass
class Call:
    method: str
    url: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None
    # An endless answer (Server-Sent Events): only its status is read, on a real port.
    stream: bool = False


@dataclass
class World:
    """`owner` is the organizer whose event it is, `co_organizer` and `steward` its team;
    `participant` is registered for it and owns the personal data (notifications, push
    subscriptions, the calendar feed)."""

    client: Any
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, client: Any) -> World:
        world = cls(client)
        users = {
            "participant": new_user("participant"),
            "other": new_user("organizer"),
            "steward": new_user("organizer"),
            "co_organizer": new_user("organizer"),
            "owner": new_user("organizer"),
            "admin": new_user("admin"),
        }
        world.headers = {"anonymous": {}} | {
            role: {"Authorization": f"Bearer {token_for(user)}"} for role, user in users.items()
        }
        world.ids = {role: user.id for role, user in users.items()}
        world.emails = {role: user.email for role, user in users.items()}
        return world

    def event(self, **overrides: Any) -> dict[str, Any]:
        """A fresh published event of the owner's, its team added, the participant registered
        (confirmed)."""
        event = create_event(self.client, self.headers["owner"], **overrides)
        for role in TEAM_ROLES:
            added = self.client.post(
                f"/api/v1/events/{event['id']}/team",
                headers=self.headers["owner"],
                json={"email": self.emails[role], "role": role},
            )
            assert added.status_code == 201, added.text
        if event["status"] == "published":
            joined = self.client.post(
                f"/api/v1/events/{event['id']}/registrations", headers=self.headers["participant"]
            )
            assert joined.status_code == 201, joined.text
            event["registration_id"] = joined.json()["id"]
        return event

    def series(self, **overrides: Any) -> dict[str, Any]:
        """A fresh two-date series of the owner's, its team added to both dates."""
        body = event_body(rrule="FREQ=WEEKLY;COUNT=2", **overrides)
        made = self.client.post("/api/v1/series", headers=self.headers["owner"], json=body)
        assert made.status_code == 201, made.text
        for event_id in made.json()["occurrences"]:
            for role in TEAM_ROLES:
                added = self.client.post(
                    f"/api/v1/events/{event_id}/team",
                    headers=self.headers["owner"],
                    json={"email": self.emails[role], "role": role},
                )
                assert added.status_code == 201, added.text
        series: dict[str, Any] = made.json()
        return series

    def attended(self) -> dict[str, Any]:
        """A fresh event at which the participant was checked in (so may review it)."""
        event = self.event()
        checked = self.client.post(
            f"/api/v1/events/{event['id']}/registrations/{event['registration_id']}/check-in",
            headers=self.headers["owner"],
        )
        assert checked.status_code == 200, checked.text
        return event

    def review(self, *, replied: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
        """The participant's review of an event they attended (with the owner's reply)."""
        event = self.attended()
        reviews = f"/api/v1/events/{event['id']}/reviews"
        made = self.client.post(reviews, headers=self.headers["participant"], json={"rating": 4})
        assert made.status_code == 201, made.text
        review = made.json()
        if replied:
            answered = self.client.post(
                f"{reviews}/{review['id']}/reply",
                headers=self.headers["owner"],
                json={"text": "Hi"},
            )
            assert answered.status_code == 201, answered.text
        return event, review

    def media(self) -> tuple[dict[str, Any], dict[str, Any]]:
        event = self.event()
        uploaded = self.client.post(
            f"/api/v1/events/{event['id']}/media",
            headers=self.headers["owner"],
            files={"file": ("p.png", files.png(), "image/png")},
        )
        assert uploaded.status_code == 201, uploaded.text
        return event, uploaded.json()

    def report(self) -> str:
        event = self.event()
        asked = self.client.post(
            "/api/v1/reports",
            headers=self.headers["owner"],
            json={"kind": "event_attendance", "event_id": event["id"], "format": "csv"},
        )
        assert asked.status_code == 202, asked.text
        return str(asked.json()["id"])

    def notification(self) -> uuid.UUID:
        """An in-app notification of the participant's."""
        row = Notification(
            user_id=self.ids["participant"],
            kind="registration_confirmed",
            recipient="someone@example.org",
            payload={"event_id": str(uuid.uuid4()), "title": "Meetup"},
        )
        with unit_of_work() as session:
            session.add(row)
        return row.id

    def webhook(self) -> str:
        """The owner's webhook (to a public address literal: nothing is resolved or sent)."""
        created = self.client.post(
            "/api/v1/webhooks",
            headers=self.headers["owner"],
            json={"url": "https://93.184.215.14/hook", "types": [WEBHOOK_TYPE]},
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def webhook_delivery(self) -> tuple[str, str]:
        """A delivery of the owner's webhook, as the consumer records it."""
        webhook_id = self.webhook()
        row = WebhookDelivery(
            webhook_id=uuid.UUID(webhook_id),
            cloudevent_id=str(uuid.uuid4()),
            cloudevent_type=WEBHOOK_TYPE,
            payload={"specversion": "1.0", "type": WEBHOOK_TYPE, "data": {}},
            status="failed",
            attempts=8,
        )
        with unit_of_work() as session:
            session.add(row)
        return webhook_id, str(row.id)

    def push_subscription(self) -> str:
        subscribed = self.client.post(
            "/api/v1/me/push-subscriptions",
            headers=self.headers["participant"],
            json={
                "endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
                "expirationTime": None,
                "keys": BROWSER_KEYS,
            },
        )
        assert subscribed.status_code == 201, subscribed.text
        return str(subscribed.json()["id"])

    def api_key(self) -> str:
        """An API key of the participant's, by its id."""
        made = self.client.post(
            "/api/v1/me/api-keys",
            headers=self.headers["participant"],
            json={"name": "matrix", "scopes": ["events:read"]},
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def feed_path(self) -> str:
        """The participant's secret calendar feed, as a path on the gateway."""
        link = self.client.get("/api/v1/me/calendar-feed", headers=self.headers["participant"])
        assert link.status_code == 200, link.text
        url: str = link.json()["url"]
        return "/api/" + url.split("/api/", 1)[1]
