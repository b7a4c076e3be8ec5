"""The function kit: one declaration per function gives a deployable app.

A declaration names the function, carries its HTTP routes, the CloudEvent handlers it
registers with `@fn.on(Model)` (what it consumes follows from them), its schedule, scaling
hints, and the secrets and extras it needs. Deployment files, the local gateway's routing and
the trigger table are all derived from these declarations.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig

from shared.config import get_settings
from shared.errors import DomainError
from shared.kit.conditional import JSON
from shared.kit.consuming import CloudEventHandler, ReceivedCloudEvent
from shared.kit.context import RequestContext
from shared.kit.documented import PROBLEM_SCHEMA, responses_for
from shared.kit.head import HeadAsGet
from shared.kit.operations import operations_router
from shared.kit.problems import ProblemRoute, install_problem_handlers
from shared.kit.shortcuts import Declared, Shortcut, Shortcuts, entries
from shared.logs import configure_logging

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shared.catalog import CloudEventData

# What a scheduled run did, by name (`{"published": 3}`), for `eventmgr invoke` to print;
# None or all zeros when there was nothing to do.
RunCounts = Mapping[str, int]
ScheduledJob = Callable[[], RunCounts | None]
Handler = TypeVar("Handler", bound=Callable[..., Any])
# The domain errors a route can raise: each becomes a documented problem+json response.
Errors = Sequence[type[DomainError]]
# A consumer's handler, given the CloudEvent with its data parsed into the catalog model (one
# of the models it was registered for: `ReceivedCloudEvent[EventCancelled]`).
Consumed = TypeVar("Consumed", bound="CloudEventData")
TypedHandler = Callable[["Session", ReceivedCloudEvent[Consumed]], None]

# What every function is given; a declaration adds its own (e.g. the signing key for `login`).
# `cloudevent_key`: every function may publish (the outbox signs) and consume (the kit checks).
COMMON_SECRETS = (
    "database_url",
    "redis_url",
    "internal_token",
    "jwt_public_keys",
    "cloudevent_key",
)
EXPOSED_HEADERS = ["Retry-After", "X-Request-ID", "Location", "ETag", "Last-Modified"]


@dataclass(frozen=True)
class Scaling:
    """Hints for Knative/OpenFaaS autoscaling: scale to zero by default."""

    min_scale: int = 0
    max_scale: int = 10
    # Requests one instance handles at once before another is started.
    concurrency: int = 50


@dataclass(frozen=True)
class PublicRoute:
    method: str
    path: str


@dataclass
class Function:
    name: str
    summary: str
    schedule: str | None = None
    scaling: Scaling = field(default_factory=Scaling)
    secrets: Sequence[str] = ()
    extras: Sequence[str] = ()
    max_body_bytes: int | None = None
    router: APIRouter = field(
        default_factory=lambda: APIRouter(route_class=ProblemRoute), repr=False
    )
    # Filled by `on`: the handler of each consumed type, and the types only taken from one
    # source (only CloudEvents from that source arrive).
    cloudevent_handlers: dict[str, CloudEventHandler] = field(
        default_factory=dict, init=False, repr=False
    )
    source_filters: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    scheduled_job: ScheduledJob | None = field(default=None, repr=False)
    route_errors: dict[PublicRoute, tuple[Errors, Errors]] = field(default_factory=dict, repr=False)
    shortcuts: dict[str, Declared] = field(default_factory=dict, init=False, repr=False)

    # Route decorators: the function's public HTTP routes, with the domain errors each can
    # raise (`errors=(EventNotFound,)`); the kit documents those and its own (see documented).
    def get(
        self, path: str, *, errors: Errors = (), page_errors: Errors = (), **kwargs: Any
    ) -> Callable[[Handler], Handler]:
        return self._route("GET", path, (errors, page_errors), kwargs)

    def post(
        self, path: str, *, errors: Errors = (), page_errors: Errors = (), **kwargs: Any
    ) -> Callable[[Handler], Handler]:
        return self._route("POST", path, (errors, page_errors), kwargs)

    def put(
        self, path: str, *, errors: Errors = (), page_errors: Errors = (), **kwargs: Any
    ) -> Callable[[Handler], Handler]:
        return self._route("PUT", path, (errors, page_errors), kwargs)

    def patch(
        self, path: str, *, errors: Errors = (), page_errors: Errors = (), **kwargs: Any
    ) -> Callable[[Handler], Handler]:
        return self._route("PATCH", path, (errors, page_errors), kwargs)

    def delete(
        self, path: str, *, errors: Errors = (), page_errors: Errors = (), **kwargs: Any
    ) -> Callable[[Handler], Handler]:
        return self._route("DELETE", path, (errors, page_errors), kwargs)

    def _route(
        self, method: str, path: str, errors: tuple[Errors, Errors], kwargs: dict[str, Any]
    ) -> Callable[[Handler], Handler]:
        self.route_errors[PublicRoute(method, path)] = errors
        decorator: Callable[[Handler], Handler] = self.router.api_route(
            path, methods=[method], **kwargs
        )
        return decorator

    def shortcut(
        self, path: str, *, headers: Mapping[str, str], media_type: str = JSON
    ) -> Callable[[Shortcut], Shortcut]:
        """Answer anonymous GETs of `path` (a GET route of this function) before FastAPI when
        the answer is bytes at hand, a cached read: see `shared.kit.shortcuts`. `headers` are
        those the route gives the same answer with (ETag and Content-Type are added)."""

        def register(answer: Shortcut) -> Shortcut:
            self.shortcuts[path] = Declared(answer, headers, media_type)
            return answer

        return register

    def on(
        self, *models: type[Consumed], source: str | None = None
    ) -> Callable[[TypedHandler[Consumed]], TypedHandler[Consumed]]:
        """Register the handler of CloudEvents of these catalog models: `@fn.on(EventCancelled)`.

        The function consumes what it registers. The handler gets the consumer's session (what
        it changes commits together with the record that this CloudEvent was handled) and the
        CloudEvent with its data parsed into its model. `source` keeps only the CloudEvents
        from that source.
        """
        # The catalog is loaded by a function that consumes (its models are), not by every one.
        from shared.catalog import CATALOG

        if not models:
            raise ValueError(f"{self.name}: `on` needs at least one catalog model")
        for model in models:
            if CATALOG.get(getattr(model, "cloudevent_type", "")) is not model:
                raise ValueError(f"{self.name} consumes a model the catalog lacks: {model}")
            if model.cloudevent_type in self.cloudevent_handlers:
                raise ValueError(f"{self.name} consumes {model.cloudevent_type} twice")

        def register(handler: TypedHandler[Consumed]) -> TypedHandler[Consumed]:
            for model in models:
                self.cloudevent_handlers[model.cloudevent_type] = handler
                if source is not None:
                    self.source_filters[model.cloudevent_type] = source
            return handler

        return register

    @property
    def consumes(self) -> tuple[str, ...]:
        """The CloudEvent types it consumes, in the order their handlers were registered."""
        return tuple(self.cloudevent_handlers)

    def on_schedule(self, job: ScheduledJob) -> ScheduledJob:
        if self.schedule is None:
            raise ValueError(f"{self.name} declares no schedule")
        self.scheduled_job = job
        return job

    @property
    def all_secrets(self) -> tuple[str, ...]:
        return (*COMMON_SECRETS, *self.secrets)

    def public_routes(self) -> list[PublicRoute]:
        return [
            PublicRoute(method, route.path)
            for route in self.router.routes
            if isinstance(route, APIRoute)
            for method in sorted(route.methods or ())
        ]

    def app(self) -> FastAPI:
        settings = get_settings()
        configure_logging(settings.log_level)
        app = FastAPI(
            title=f"Event Manager · {self.name}",
            summary=self.summary,
            version="1",
            docs_url=None,
            redoc_url=None,
            telemetry=_fastapi_telemetry(),
        )
        app.state.function = self
        install_problem_handlers(app)
        self._document_errors()
        # Operations first: a catch-all page route (`/{page:path}`) must not shadow them.
        operations = operations_router(self)
        app.include_router(operations)
        app.include_router(self.router)
        if self.shortcuts:
            # In the order the app tries them (its own, e.g. /openapi.json, first).
            routes = [*app.router.routes, *operations.routes, *self.router.routes]
            # Inside the request context: a shortcut's answer is counted, timed and logged.
            app.add_middleware(Shortcuts, shortcuts=entries(routes, self.shortcuts))
        app.add_middleware(
            RequestContext,
            function=self.name,
            max_body_bytes=self.max_body_bytes or settings.max_body_bytes,
        )
        if settings.cors_origins:
            app.add_middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
                expose_headers=EXPOSED_HEADERS,
                max_age=600,
            )
        app.add_middleware(HeadAsGet)
        _add_problem_schema(app)
        return app

    def _document_errors(self) -> None:
        for route in self.router.routes:
            if isinstance(route, APIRoute):
                [method] = route.methods or ("GET",)
                errors, page_errors = self.route_errors.get(
                    PublicRoute(method, route.path), ((), ())
                )
                route.responses = responses_for(route, errors, page_errors)
                # Every operation is described: its docstring, else what the function does.
                route.description = route.description or self.summary


def _fastapi_telemetry() -> TelemetryConfig | None:
    """FastAPI's OpenTelemetry bridge asks on every request whether a provider has been set
    since (environment look-ups: 14% of a cached read in the profile). Only an OpenTelemetry
    SDK can set one, and our images carry none: off then, FastAPI's default where one is
    installed. The kit's own tracing (W3C traceparent in headers and logs) is not this."""
    if importlib.util.find_spec("opentelemetry.sdk") is not None:
        return None
    return {"tracing": False, "metrics": False, "logs": False}


def declared(functions: Iterable[Function]) -> dict[str, Function]:
    """Index declarations by name, refusing two functions that claim the same name or route."""
    by_name: dict[str, Function] = {}
    owners: dict[PublicRoute, str] = {}
    for function in functions:
        if function.name in by_name:
            raise ValueError(f"two functions are named {function.name}")
        by_name[function.name] = function
        for route in function.public_routes():
            if route in owners:
                twice = f"{route.method} {route.path}"
                raise ValueError(f"{twice} is declared by {owners[route]} and {function.name}")
            owners[route] = function.name
    return by_name


def _add_problem_schema(app: FastAPI) -> None:
    """The Problem component every error response refers to; FastAPI's own validation error
    schemas are not used (the kit answers 422 as a Problem)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            schemas["Problem"] = PROBLEM_SCHEMA
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
