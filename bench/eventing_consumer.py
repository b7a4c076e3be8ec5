"""The consuming function of `bench.eventing`, served in its own process by uvicorn."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from local.gateway import Gateway
from local.registry import Deployed
from shared.catalog import UserRegistered
from shared.kit import Function
from shared.kit.consuming import ReceivedCloudEvent

consumer = Function("bench_consumer", summary="bench")
APPLY = text("INSERT INTO bench_applied (cloudevent_id, side) VALUES (:id, 'platform')")


@consumer.on(UserRegistered)
def _apply(session: Session, cloudevent: ReceivedCloudEvent[UserRegistered]) -> None:
    """One row per application, in the kit's transaction with its idempotency record: what
    the bench counts for "lost" and "applied twice"."""
    session.execute(APPLY, {"id": cloudevent.id})


app = Gateway({"bench_consumer": Deployed(consumer, consumer.app())})
