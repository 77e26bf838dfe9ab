"""A backing service that is down gets a 503 with Retry-After, never a 500, and nothing changes."""

import uuid

import httpx
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from readmodel.db import Database
from settings import settings
from temporal_client import data_converter
from tests.api_fixtures import WANG, Gridflow, gf  # noqa: F401
from tests.conftest import BIN

BACKENDS = ["sqlite"]  # the failure is the point, not the backend


def app_of(gf: Gridflow) -> FastAPI:
    """The app behind the test's client: its state holds the database and Temporal client."""
    transport = gf.http._transport
    assert isinstance(transport, httpx.ASGITransport) and isinstance(transport.app, FastAPI)
    return transport.app


def assert_unavailable(response: httpx.Response, what: str) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "unavailable"
    assert what in response.json()["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1


async def test_read_model_down_is_503_and_the_api_recovers(gf: Gridflow) -> None:
    await gf.headers(WANG)  # logged in while the database was up
    app = app_of(gf)
    up, app.state.db = app.state.db, Database("postgresql+asyncpg://gf@127.0.0.1:1/gridflow")
    try:
        assert_unavailable(await gf.call("GET", "/me", WANG), "read model")
        assert_unavailable(await gf.submit(), "read model")
    finally:
        await app.state.db.dispose()
        app.state.db = up
    assert (await gf.call("GET", "/me", WANG)).status_code == 200
    assert (await gf.submit()).status_code == 201


async def test_temporal_down_is_503_and_no_report_is_acknowledged(gf: Gridflow) -> None:
    app = app_of(gf)
    # A client of a server that has gone away since: what the API holds when Temporal stops.
    gone = await WorkflowEnvironment.start_local(
        data_converter=data_converter(settings), dev_server_existing_path=str(BIN / "temporal")
    )
    await gone.shutdown()
    up, app.state.temporal = app.state.temporal, gone.client
    key = str(uuid.uuid4())
    try:
        assert_unavailable(await gf.submit(key=key), "workflow service")
    finally:
        app.state.temporal = up
    # The same key once Temporal is back: a new ticket (201), so nothing had been started.
    assert (await gf.submit(key=key)).status_code == 201
