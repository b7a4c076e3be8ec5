"""The consuming function of `bench.eventing`, served in its own process by uvicorn."""

from local.gateway import Gateway
from local.registry import Deployed
from shared.catalog import UserRegistered
from shared.kit import Function

consumer = Function("bench_consumer", summary="bench")


@consumer.on(UserRegistered)
def _noop(session: object, cloudevent: object) -> None:
    """The work measured is the kit's: parse, idempotency record, commit."""


app = Gateway({"bench_consumer": Deployed(consumer, consumer.app())})
