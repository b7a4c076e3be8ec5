"""One settings object for every process: each knob is an environment variable.

Secrets may also come from files: `SECRETS_DIR` (default `/var/openfaas/secrets`, OpenFaaS's
mount point) holds one file per secret, named like the variable in lower case with dashes
(`jwt-private-key`), so each function is given only the secrets it declares.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared import process_state

DEFAULT_SECRETS_DIR = "/var/openfaas/secrets"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Where the embedded mode keeps its data (PostgreSQL, Redis, mail, media, keys).
    eventmgr_data_dir: Path = Path(".eventmgr")

    # Services. Unset means "embedded" for `eventmgr up`; deployed functions must set them.
    database_url: str | None = None
    db_pool_size: int = Field(default=5, ge=1, le=100)
    db_max_overflow: int = Field(default=5, ge=0, le=100)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)
    redis_url: str | None = None
    rabbitmq_url: str | None = None

    # CloudEvents: publishing (RabbitMQ, or the Knative broker ingress at K_SINK) and delivery.
    k_sink: str | None = None
    rabbitmq_exchange: str = Field(default="eventmanager", min_length=1, max_length=255)
    publish_timeout_seconds: float = Field(default=2.0, gt=0)
    outbox_relay_batch: int = Field(default=500, ge=1, le=10_000)
    outbox_lease_seconds: int = Field(default=60, ge=1)
    # The relay leaves rows younger than this to the function that wrote them.
    outbox_grace_seconds: float = Field(default=5.0, ge=0)
    outbox_retention_hours: int = Field(default=72, ge=1)
    dispatcher_attempts: int = Field(default=5, ge=1, le=20)
    dispatcher_backoff_base_seconds: float = Field(default=1.0, gt=0)
    dispatcher_prefetch: int = Field(default=20, ge=1, le=1000)
    dispatcher_http_timeout_seconds: float = Field(default=10.0, gt=0)
    # Where a function's internal `POST /` lives: `{name}` is the function's name, `{service}`
    # the same with dashes (compose: `http://{service}:8080/`, one host per function).
    function_url_template: str = "http://{name}:8080/"
    # The rendered trigger table the dispatcher reads (default: the one inside `eventing/`).
    triggers_file: Path | None = None
    # HMAC key the outbox signs every CloudEvent with and consumers check (shared by every
    # function and the worker; see shared.outbox.signing).
    cloudevent_key: str | None = None
    # The key before a rotation, still accepted (never used to sign) while CloudEvents signed
    # with it may be in flight; drop it once the queues have drained.
    cloudevent_key_previous: str | None = None
    # A scheduled run not proven by the internal token (`INTERNAL_AUTH=network`: a Knative
    # PingSource, or anyone who reaches the function) starts at most once per this many
    # seconds per function; the shortest schedule is a minute.
    schedule_min_interval_seconds: int = Field(default=30, ge=1, le=3600)

    # Slow work on Celery: broker RabbitMQ (or Redis when only Redis is there), results Redis.
    celery_broker_url: str | None = None
    # Celery's queue, and its direct exchange and routing key of the same name. Never the
    # CloudEvents exchange or one of its `<exchange>.<function>` queues: on a shared broker
    # RabbitMQ refuses an exchange declared with another type (see `_apart_from_cloudevents`).
    celery_queue: str = Field(default="eventmanager-tasks", min_length=1, max_length=255)
    task_pending_timeout_seconds: int = Field(default=300, ge=1)
    # How long a worker holds the notifications it sends (its heartbeat renews the hold every
    # third of it): a worker killed mid-send leaves them to the task's redelivery after this.
    notification_lease_seconds: float = Field(default=300, gt=0, le=3600)

    # Tokens.
    jwt_private_key: str | None = None
    jwt_public_keys: str | None = None
    jwt_issuer: str = "eventmanager"
    jwt_audience: str = "eventmanager-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_idle_ttl_days: int = Field(default=14, ge=1)
    refresh_absolute_ttl_days: int = Field(default=60, ge=1)
    # A client that retries a refresh (its answer got lost) may present the just-rotated token
    # again within this many seconds without ending its session. 0: never.
    refresh_reuse_grace_seconds: int = Field(default=0, ge=0, le=300)
    internal_token: str | None = None
    # Who may make internal calls (`POST /`, `/metrics`): `token` asks for the internal token;
    # `network` trusts whoever can reach the function at all, for targets whose deliveries
    # cannot carry a header (Knative Triggers and PingSources) and whose functions only the
    # platform can reach (cluster-local Services behind a NetworkPolicy).
    internal_auth: Literal["token", "network"] = "token"

    # HTTP.
    public_url: str = "http://127.0.0.1:8080"
    cors_origins: Annotated[list[str], NoDecode] = []
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    trusted_proxies: Annotated[list[str], NoDecode] = []
    cursor_secret: str | None = None

    # Mail: SendGrid when its key is set, else SMTP when its URL is set, else .eml files.
    mail_from: str = "Event Manager <no-reply@eventmanager.local>"
    sendgrid_api_key: str | None = None
    sendgrid_api_url: str = "https://api.sendgrid.com"
    smtp_url: str | None = None
    # How long one SMTP or SendGrid call may take (well under the mail task's lease).
    mail_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    # Mails handed to the backend per call (SendGrid takes 1,000 personalizations at most).
    mail_batch_size: int = Field(default=1000, ge=1, le=1000)
    # Discussions: messages one person may post to one event's discussion per minute, and
    # how often a quiet live stream sends a comment (under the gateway's read timeout).
    discussion_messages_per_minute: int = Field(default=10, ge=1)
    discussion_heartbeat_seconds: float = Field(default=15.0, gt=0, le=55)
    # A stream ends after this long, under Knative's request timeout (300 s): the browser
    # reconnects at once with Last-Event-ID, and an instance can drain and scale down.
    discussion_stream_seconds: float = Field(default=240.0, gt=0, le=3600)
    # SendGrid's Signed Event Webhook verification key (the base64 text its settings show).
    sendgrid_webhook_public_key: str | None = None
    # Signs the one-click unsubscribe links in mails.
    unsubscribe_secret: str | None = None

    # Web Push: the VAPID key pair's private half (PEM, or the raw key in base64url), the
    # contact the push services may write to, and the only hosts subscriptions may point at.
    vapid_private_key: str | None = None
    # Its public half (base64url) for browsers; derived from the private key when unset.
    vapid_public_key: str | None = None
    vapid_subject: str = "mailto:admin@eventmanager.local"
    push_allowed_hosts: Annotated[list[str], NoDecode] = [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "web.push.apple.com",
        "*.notify.windows.com",
    ]
    push_timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    # Throttling (per account and per client address; Redis, or per process without it).
    # Failed password checks of one account from one client (address or known device) before
    # that client is locked out of that account, for 1 min doubling up to 1 h.
    login_failures_per_account: int = Field(default=5, ge=1)
    # Failed password checks from one address, whatever the accounts, before it is locked.
    login_failures_per_address: int = Field(default=20, ge=1)
    # Failed checks of one account from everywhere (in an hour) before it is slowed down:
    # one check per 1 s, 2 s, 4 s ... 1 min from clients it does not know. Never a lock.
    login_failures_before_slowdown: int = Field(default=10, ge=1)
    signups_per_address_per_hour: int = Field(default=10, ge=1)
    mail_requests_per_account_per_hour: int = Field(default=3, ge=1)
    mail_requests_per_address_per_hour: int = Field(default=20, ge=1)
    # Requests one API key may make per minute, across every function (429 + Retry-After past it).
    api_key_requests_per_minute: int = Field(default=600, ge=1)

    reports_per_user_per_hour: int = Field(default=10, ge=1)

    # Object storage: MinIO/S3 when S3_ENDPOINT is set (host:port), else a local directory
    # (<data dir>/media) whose downloads are signed links served by the gateway.
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "eventmanager-media"
    s3_secure: bool = True
    s3_region: str = "us-east-1"
    # Where clients reach storage when that is not where the functions do (host:port);
    # presigned URLs are signed for this address.
    s3_public_endpoint: str | None = None
    # HMAC key of the local backend's download links.
    storage_url_secret: str | None = None

    # Media of events.
    media_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Decoded pixels an image may have (all frames of an animation together).
    media_max_pixels: int = Field(default=40_000_000, ge=1)
    media_max_per_event: int = Field(default=50, ge=1)
    media_url_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 86_400)

    # Reports: requests per person and hour, how long a download link lives, how long a
    # worker may hold one before the sweep hands it to another, and how long files are kept.
    report_requests_per_user_per_hour: int = Field(default=20, ge=1)
    report_url_ttl_seconds: int = Field(default=86_400, ge=60, le=7 * 86_400)
    report_lease_seconds: int = Field(default=900, ge=30)
    report_retention_days: int = Field(default=7, ge=1)

    # Outgoing webhooks. Private, loopback and link-local targets (and plain http) are refused
    # unless this is set: for tests and deployments whose receivers sit on a private network.
    webhook_allow_private: bool = False
    # Waits between attempts (each with up to 20 % jitter), as the Standard Webhooks spec
    # suggests: about a day in all, then the delivery is failed.
    webhook_retry_schedule_seconds: Annotated[list[float], NoDecode] = [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        50400,
    ]
    # Connect, read and write each; redirects are never followed.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=30)

    # Tickets: HMAC key that signs ticket codes (the QR at the door). Every function that
    # shows or checks tickets, and the worker that mails them, must share it: there is no
    # per-process fallback, a ticket must stay valid across instances and restarts.
    ticket_key: str | None = None
    # Keys before a rotation (comma-separated), still accepted for codes already handed out
    # and mailed; a code names its key by an id derived from it. Drop one after its events.
    ticket_keys_previous: Annotated[list[str], NoDecode] = []

    # Calendars: HMAC key from which personal feed links are derived (only hashes are stored).
    calendar_feed_secret: str | None = None
    calendar_import_max_events: int = Field(default=200, ge=1, le=10_000)
    # Imports one account may make per hour (each may expand recurring series).
    calendar_imports_per_user_per_hour: int = Field(default=30, ge=1)
    # Occurrences of one recurring series an import turns into drafts.
    calendar_import_max_occurrences: int = Field(default=52, ge=1, le=1000)

    # Events: `pre` holds organizers' events for an admin's approval before they are listed.
    moderation_mode: Literal["post", "pre"] = "post"
    # Cached reads: how long an entry may live at most (changes invalidate them at once).
    cache_event_page_seconds: int = Field(default=60, ge=1)
    cache_list_page_seconds: int = Field(default=15, ge=1)
    # Statistics answers (a change forgets an event's and a person's at once).
    cache_analytics_seconds: int = Field(default=30, ge=1)
    # Leaderboards: new points show up within this; opting out hides a person at once.
    cache_leaderboard_seconds: int = Field(default=30, ge=1)

    # Web front end: where it calls the public API (default: PUBLIC_URL, the gateway itself),
    # how long a browser session lives unused, and how long one API call may take.
    web_api_url: str | None = None
    web_session_idle_seconds: int = Field(default=14 * 86_400, ge=60)
    web_api_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # A visitor without a session is answered the kept event page for this long without
    # asking the API whether the event changed (micro-caching: seats and status lag that much).
    web_kept_page_seconds: float = Field(default=1.0, ge=0, le=60)

    # Worker, dispatcher and scheduler serve Prometheus metrics here (functions use /metrics).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "0.0.0.0"  # noqa: S104 - containers are reached on their own address

    log_level: str = "INFO"

    @field_validator(
        "cors_origins",
        "trusted_proxies",
        "push_allowed_hosts",
        "ticket_keys_previous",
        "webhook_retry_schedule_seconds",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # an address or a CIDR, else refuse
        return value

    @field_validator("celery_queue")
    @classmethod
    def _apart_from_cloudevents(cls, value: str, info: ValidationInfo) -> str:
        # A field validator (not a model one): its error shows this value only, no secrets.
        exchange = info.data.get("rabbitmq_exchange")
        if exchange and (value == exchange or value.startswith(f"{exchange}.")):
            raise ValueError(
                f"CELERY_QUEUE={value!r} collides with the CloudEvents topic exchange"
                f" RABBITMQ_EXCHANGE={exchange!r} (or its queues, '{exchange}.<function>'):"
                " Celery would declare a direct exchange of that name, RabbitMQ refuses it"
                " (PRECONDITION_FAILED) and no mail would be sent. Use another name, e.g. the"
                " default 'eventmanager-tasks'."
            )
        return value

    @property
    def mail_outbox_dir(self) -> Path:
        return self.eventmgr_data_dir / "outbox"

    @property
    def media_dir(self) -> Path:
        return self.eventmgr_data_dir / "media"

    @property
    def keys_dir(self) -> Path:
        return self.eventmgr_data_dir / "keys"


@process_state.cached
def get_settings() -> Settings:
    secrets_dir = os.environ.get("SECRETS_DIR", DEFAULT_SECRETS_DIR)
    files: dict[str, Any] = _read_secret_files(Path(secrets_dir))
    return Settings(**files)


def _read_secret_files(directory: Path) -> dict[str, str]:
    """Secrets mounted as files, for the fields whose environment variable is unset."""
    if not directory.is_dir():
        return {}
    found: dict[str, str] = {}
    for name in Settings.model_fields:
        path = directory / name.replace("_", "-")
        if name.upper() not in os.environ and path.is_file():
            found[name] = path.read_text().strip()
    return found
