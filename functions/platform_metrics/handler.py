"""The platform's figures from PostgreSQL on `/metrics`: accounts, events, registrations,
mail, moderation, the outbox and dead letters. One small instance that never scales to zero,
so Prometheus always has someone to ask, and the figures are never counted twice."""

from mangum import Mangum

from shared.kit import Function, Scaling
from shared.metrics import register_reader
from shared.stats.collector import PlatformCollector

fn = Function(
    "platform_metrics",
    summary="The platform's figures, read from PostgreSQL at scrape time.",
    scaling=Scaling(min_scale=1, max_scale=1, concurrency=10),
)
register_reader(PlatformCollector())

app = fn.app()
handler = Mangum(app, lifespan="off")
