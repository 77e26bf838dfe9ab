"""The benchmark's HTTP client: a demo user's headers against a live base URL, and the calls."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from domain import demo_city

CREDENTIALS = {user_id: credential for user_id, *_, credential in demo_city.USERS}
SPOT = demo_city.GRIDS[1].inside  # wang's grid without local routing overrides: garbage → cgj


async def demo_headers(http: httpx.AsyncClient, user_id: str) -> dict[str, str]:
    """Log a demo user in (OAuth2 password flow, the demo credential as password); where the
    server has no /auth/token yet (404), the credential itself as bearer token or, for a
    machine client, an API key."""
    credential = CREDENTIALS[user_id]
    response = await http.post(
        "/api/v1/auth/token", data={"username": user_id, "password": credential}
    )
    if response.status_code == 404:
        return {"Authorization": f"Bearer {credential}"}
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def sensor_headers(key: str = "demo-sensor-gateway") -> dict[str, str]:
    return {"X-API-Key": key}


class Api:
    """Calls as the benchmark's demo users make them; each returns the httpx response."""

    def __init__(self, base_url: str, *, connections: int = 200) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits)
        self.headers: dict[str, dict[str, str]] = {}

    async def login(self, *users: str) -> None:
        for user in users:
            self.headers[user] = await demo_headers(self.http, user)

    async def close(self) -> None:
        await self.http.aclose()

    async def _send(self, method: str, url: str, user: str, **kwargs: Any) -> httpx.Response:
        """One call as `user`; an expired access token (401) logs the user in again, once."""
        extra = kwargs.pop("headers", {})
        response = await self.http.request(
            method, url, headers={**self.headers[user], **extra}, **kwargs
        )
        if response.status_code == 401:
            await self.login(user)
            response = await self.http.request(
                method, url, headers={**self.headers[user], **extra}, **kwargs
            )
        return response

    async def submit(self, *, urgency: str | None = None, user: str = "wang") -> httpx.Response:
        body: dict[str, Any] = {
            "category": "E0101",
            "lat": SPOT.lat,
            "lon": SPOT.lon,
            "description": "巷口垃圾堆积 benchmark report",
        }
        if urgency:
            body["urgency"] = urgency
        return await self._send(
            "POST",
            "/api/v1/incidents",
            user,
            json=body,
            headers={"Idempotency-Key": f"bench-{uuid.uuid4().hex}"},
        )

    async def ticket(self, ticket_id: str, user: str = "chen") -> dict[str, Any]:
        response = await self._send("GET", f"/api/v1/tickets/{ticket_id}", user)
        response.raise_for_status()
        return response.json()

    async def act(
        self, ticket_id: str, action: str, user: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self._send("POST", f"/api/v1/tickets/{ticket_id}/{action}", user, json=body)

    async def wait_status(
        self, ticket_id: str, status: str, *, timeout: float = 120, every: float = 0.05
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ticket = await self.ticket(ticket_id)
            if ticket["status"] == status:
                return ticket
            if loop.time() > deadline:
                raise TimeoutError(f"{ticket_id} still {ticket['status']}, not {status}")
            await asyncio.sleep(every)
