"""Probes and the scrape endpoint (docs/observability.md): /healthz says the process answers,
/readyz that it can serve (its read model reachable and at this code's schema, Temporal
reachable), /metrics the Prometheus text. Anonymous: the proxy in front must not publish /metrics
and /readyz (deploy/README.md); they name no ticket, person or secret."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from readmodel.migrate import current_revision, head

router = APIRouter(tags=["ops"])
CHECK_SECONDS = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up."""
    return {"status": "ok"}


async def database_check(request: Request) -> dict[str, Any]:
    async with request.app.state.db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        have = await conn.run_sync(current_revision)
    want = head()
    if have != want:
        return {"ok": False, "error": f"schema at {have or 'no revision'}, this code needs {want}"}
    return {"ok": True, "revision": have}


async def temporal_check(request: Request) -> dict[str, Any]:
    ok = await request.app.state.temporal.service_client.check_health()
    return {"ok": bool(ok)} if ok else {"ok": False, "error": "not serving"}


async def checked(name: str, probe: Any, request: Request) -> dict[str, Any]:
    try:
        return await asyncio.wait_for(probe(request), CHECK_SECONDS)
    except TimeoutError:
        return {"ok": False, "error": f"no answer in {CHECK_SECONDS:g} s"}
    except Exception as err:  # what failed, by kind: a message could carry a DSN
        return {"ok": False, "error": f"{type(err).__name__} reaching the {name}"}


@router.get("/readyz", responses={503: {"description": "a dependency is not ready"}})
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the read model reachable and at the schema head, Temporal reachable."""
    database, temporal = await asyncio.gather(
        checked("database", database_check, request), checked("temporal", temporal_check, request)
    )
    ready = database["ok"] and temporal["ok"]
    body = {"status": "ready" if ready else "not ready", "database": database, "temporal": temporal}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
