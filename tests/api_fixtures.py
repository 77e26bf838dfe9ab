"""A running gridflow for API tests: a worker on its own task queue, the app, an HTTP client."""

import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from api.main import create_app
from domain.demo.people import API_KEYS, USERS
from readmodel.db import Database
from settings import Settings
from tests.factories import GARBAGE, LAT, LON
from worker import build_worker

WANG, LI = "demo-worker-wang", "demo-worker-li"
CGJ, ZJJ, BS = "demo-staff-cgj", "demo-staff-zjj", "demo-staff-bs"
SUPERVISOR, WU = "demo-supervisor", "demo-supervisor-wu"
ADMIN = "demo-admin"
SENSOR = "demo-sensor-gateway"

# Demo credential -> user id (the credential is the demo user's password).
DEMO_LOGIN = {password: user_id for user_id, _n, _r, _d, _g, password in USERS}
DEMO_KEYS = {key for _id, _user, _label, key in API_KEYS}
# Demo credential -> (access token, expiry): one login per demo user for the whole test session.
# A token stays valid on every fresh test database: same user ids, same token_version, same
# secret. Tests that change a user's rights or log out log in on their own (tests/test_api_auth).
_JWT_CACHE: dict[str, tuple[str, float]] = {}


@dataclass
class Gridflow:
    http: httpx.AsyncClient
    db: Database
    config: Settings
    client: Client

    async def call(
        self, method: str, url: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers.update(await self.headers(token))
        return await self.http.request(method, f"/api/v1{url}", headers=headers, **kwargs)

    async def headers(self, token: str) -> dict[str, str]:
        """The auth headers for a demo user (tests name users by their demo credential): the
        sensor gateway's API key, or an access token got through POST /auth/token (cached);
        anything else is sent as a bearer token as it is (an invalid one)."""
        if token in DEMO_KEYS:
            return {"X-API-Key": token}
        if token not in DEMO_LOGIN:
            return {"Authorization": f"Bearer {token}"}
        cached = _JWT_CACHE.get(token)
        if cached is None or cached[1] < time.time() + 60:
            response = await self.login(DEMO_LOGIN[token], token)
            assert response.status_code == 200, response.text
            body = response.json()
            cached = (body["access_token"], time.time() + body["expires_in"])
            _JWT_CACHE[token] = cached
        return {"Authorization": f"Bearer {cached[0]}"}

    async def login(self, username: str, password: str) -> httpx.Response:
        """POST /auth/token (the OAuth2 password form)."""
        return await self.http.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )

    async def submit(
        self, *, token: str = WANG, key: str | None = None, **body: Any
    ) -> httpx.Response:
        payload = {
            "category": GARBAGE,
            "lat": LAT,
            "lon": LON,
            "description": "路口垃圾 garbage at the crossing",
        } | body
        return await self.call(
            "POST",
            "/incidents",
            token,
            json=payload,
            headers={"Idempotency-Key": key or str(uuid.uuid4())},
        )

    async def new_ticket(self, **body: Any) -> str:
        response = await self.submit(**body)
        assert response.status_code == 201, response.text
        return response.json()["ticket_id"]

    async def ticket(self, ticket_id: str, token: str = SUPERVISOR) -> dict[str, Any]:
        response = await self.call("GET", f"/tickets/{ticket_id}", token)
        assert response.status_code == 200, response.text
        return response.json()

    async def act(
        self, ticket_id: str, action: str, token: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.call("POST", f"/tickets/{ticket_id}/{action}", token, json=body)


@asynccontextmanager
async def running_app(
    client: Client, db: Database, config: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config, client=client, db=db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gridflow.test") as http:
            yield http


@asynccontextmanager
async def gridflow_on(client: Client, db: Database) -> AsyncIterator[Gridflow]:
    with tempfile.TemporaryDirectory(prefix="gridflow-data-") as data_dir:  # photos
        config = Settings(
            task_queue=f"tq-{uuid.uuid4()}", database_url=db.url, data_dir=Path(data_dir)
        )
        async with build_worker(client, db=db, config=config):
            async with running_app(client, db, config) as http:
                yield Gridflow(http=http, db=db, config=config, client=client)


@pytest.fixture
async def gf(temporal_client: Client, db: Database) -> AsyncIterator[Gridflow]:
    """gridflow against the real dev server, with the worker in-process (conftest's
    temporal_client: a namespace per database backend)."""
    async with gridflow_on(temporal_client, db) as running:
        yield running
