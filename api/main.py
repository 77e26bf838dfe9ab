"""The FastAPI application: `uvicorn api.main:app` (settings from GRIDFLOW_*)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from temporalio.client import Client

from api import ops, place
from api.audit import AuditMiddleware
from api.errors import install_error_handlers
from api.open311 import routes as open311
from api.open311.docs import without_422
from api.open311.format import PublicReads
from api.request_telemetry import RequestTelemetry
from api.routes import (
    admin_users,
    auth,
    battle_map,
    calendar,
    calendar_notice,
    codec,
    daily,
    duplicates,
    holds,
    incidents,
    map,
    metrics,
    my,
    notice_inbox,
    notifications,
    notify_admin,
    notify_deliveries,
    photos,
    policy,
    policy_preview,
    reference,
    reports,
    requests,
    routing,
    subjects,
    supervision,
    tickets,
    urge,
    work,
)
from api.routes import audit as audit_routes
from api.schemas import API_ERRORS, errors_as_json
from api.security_headers import SecurityHeaders
from api.web import admin_pages, desk, pages
from logging_setup import configure_logging
from readmodel.access.audit_resolve import keep_resolving
from readmodel.db import Database
from readmodel.migrate import require_head
from settings import Settings, settings
from telemetry import tracer
from temporal_client import connect


class GridflowApp(FastAPI):
    def openapi(self) -> dict[str, Any]:
        """FastAPI's schema (built once and kept), refusals as JSON, Open311 without 422."""
        return self.openapi_schema or without_422(errors_as_json(super().openapi()))


def create_app(
    config: Settings = settings, *, client: Client | None = None, db: Database | None = None
) -> FastAPI:
    """Build the app; tests pass their own Temporal client and database."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = db is None
        config.signing_secret()  # MissingSecret: refuse to start rather than fail open
        app.state.settings = config
        app.state.db = db or Database(config.database_url)
        if own_db:
            configure_logging(json=config.log_json)
            if config.dev_mode and not config.jwt_secret_given():
                structlog.get_logger().warning(
                    "jwt_secret_random_for_this_process",
                    why="GRIDFLOW_DEV_MODE: tokens end when the process does and no other "
                    "process accepts them; production sets GRIDFLOW_JWT_SECRET",
                )
            await require_head(config.database_url)  # SchemaBehind: migrate first
        app.state.temporal = client or await connect(config)
        await place.load(app)  # the point → grid index, once per process
        # Its own pool (api/audit.py), and prompt: the report's answer waits for its rows.
        app.state.audit_db = Database(app.state.db.url, prompt=True)
        resolving = asyncio.create_task(
            keep_resolving(
                client=app.state.temporal,
                db=app.state.audit_db,
                after=config.audit_resolve_after_seconds,
                every=config.audit_resolve_every_seconds,
            )
        )
        yield
        resolving.cancel()
        with suppress(asyncio.CancelledError):
            await resolving
        await app.state.audit_db.dispose()
        if own_db:
            await app.state.db.dispose()

    app = GridflowApp(
        title="gridflow",
        version="0.1.0",
        lifespan=lifespan,
        description="Grid incident tickets: report, dispatch, verify, rectify, write off, archive.",
    )
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1", responses=API_ERRORS)
    for module in (
        routing,
        incidents,
        tickets,
        holds,
        urge,
        supervision,
        work,
        reference,
        calendar,
        calendar_notice,
        metrics,
        policy_preview,
        policy,
        photos,
        my,
        battle_map,
        daily,
        notifications,
        subjects,
        duplicates,
        map,
        requests,
        reports,
    ):
        api.include_router(module.router)
    api.include_router(auth.router)
    api.include_router(admin_users.router)
    api.include_router(notice_inbox.router)  # the bell (docs/notification-centre.md)
    api.include_router(notify_admin.router)
    api.include_router(notify_deliveries.router)
    api.include_router(audit_routes.router)
    api.include_router(codec.router)  # Temporal's UI and CLI decrypt (docs/temporal-security.md)
    app.include_router(api)
    app.include_router(open311.router)  # the public GeoReport v2 facade (docs/open311.md)
    pages.install(app)  # the web app: pages, /sw.js, /static
    app.include_router(desk.router)  # the desk pages: department staff and supervisors
    app.include_router(codec.page)  # /app/codec: lend the Temporal UI a token
    app.include_router(admin_pages.router)  # the admin's pages

    app.include_router(ops.router)  # /healthz, /readyz, /metrics (docs/observability.md)

    app.add_middleware(PublicReads)  # Open311 reads: readable from any origin
    app.add_middleware(codec.CodecCors)  # the codec: from the Temporal UI's origins
    app.add_middleware(SecurityHeaders)  # CSP, no framing, no sniffing (docs/auth.md)
    app.add_middleware(AuditMiddleware)  # added last: outermost, sees every refusal
    app.add_middleware(RequestTelemetry, tracer=tracer(config))  # its id, span, access log
    return app


app = create_app()
