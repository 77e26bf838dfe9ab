"""Real HTTP clients of a live gridflow: demo users' headers, and a client that keeps figures."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter, defaultdict
from typing import Any

import httpx

from domain import demo_city

CREDENTIAL = {u[0]: u[5] for u in demo_city.USERS}
ROLE = {u[0]: u[2] for u in demo_city.USERS}
TOKEN_PATH = "/api/v1/auth/token"
MAX_RETRY_AFTER = 10.0  # never sleep longer than this on one 429, whatever the server says


async def demo_headers(
    http: httpx.AsyncClient,
    user_id: str,
    *,
    password: str | None = None,
) -> tuple[dict[str, str], float]:
    """Auth headers for a demo user against a live base URL, and how long they stay good (s).

    Logs in with the demo credential as password (POST /api/v1/auth/token); where that route is
    not there yet (404) the credential itself is the bearer token. Sensors send X-API-Key.
    Users an admin added log in with the `password` they were given.
    """
    secret = password or CREDENTIAL[user_id]
    response = await http.post(TOKEN_PATH, data={"username": user_id, "password": secret})
    if response.status_code == 404:
        return {"Authorization": f"Bearer {secret}"}, float("inf")
    if ROLE.get(user_id) == "sensor":
        return {"X-API-Key": secret}, float("inf")
    if response.status_code != 200:
        raise AssertionError(f"login as {user_id} failed: {response.status_code} {response.text}")
    body = response.json()
    return {"Authorization": f"Bearer {body['access_token']}"}, float(body.get("expires_in", 300))


def endpoint_of(method: str, path: str) -> str:
    """'POST /tickets/GF-1A2B/claim' → 'POST /tickets/{id}/claim': one figure per route."""
    path = path.removeprefix("/api/v1")
    return f"{method} {re.sub(r'/GF-[A-Z0-9]+', '/{id}', path)}"


class Figures:
    """Requests, latencies per endpoint, statuses; timeouts and 429s apart."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter[int] = Counter()
        self.by_endpoint: dict[str, Counter[int]] = defaultdict(Counter)
        self.timeouts: Counter[str] = Counter()
        self.transport_errors: Counter[str] = Counter()
        self.rate_limited = 0

    @property
    def requests(self) -> int:
        return (
            sum(self.status.values())
            + sum(self.timeouts.values())
            + sum(self.transport_errors.values())
        )

    def server_errors(self) -> dict[str, Counter[int]]:
        return {
            e: Counter({s: n for s, n in c.items() if s >= 500})
            for e, c in self.by_endpoint.items()
            if any(s >= 500 for s in c)
        }

    def report(self, title: str) -> str:
        lines = [
            f"== {title}: {self.requests} requests",
            f"   {'endpoint':42} {'n':>6} {'p50 ms':>8} {'p99 ms':>8}  statuses",
        ]
        for endpoint in sorted(self.latency):
            times = sorted(self.latency[endpoint])
            statuses = " ".join(f"{s}:{n}" for s, n in sorted(self.by_endpoint[endpoint].items()))
            lines.append(
                f"   {endpoint:42} {len(times):6} {_pct(times, 50):8.1f} "
                f"{_pct(times, 99):8.1f}  {statuses}"
            )
        errors = {s: n for s, n in sorted(self.status.items()) if s >= 400}
        lines.append(
            f"   errors by status: {errors or 'none'}; client timeouts: "
            f"{sum(self.timeouts.values())}; connection errors: "
            f"{sum(self.transport_errors.values())}; 429 (honoured): {self.rate_limited}"
        )
        return "\n".join(lines)


def _pct(sorted_times: list[float], p: int) -> float:
    if not sorted_times:
        return 0.0
    i = min(len(sorted_times) - 1, max(0, round(p / 100 * len(sorted_times)) - 1))
    return sorted_times[i] * 1000


class Api:
    """One live gridflow over HTTP, as the demo users: logs in once per user, honours 429 +
    Retry-After like a real client, and records every request in `figures`."""

    def __init__(self, base_url: str, *, timeout: float = 40.0, connections: int = 100) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)
        self.figures = Figures()
        self._headers: dict[str, tuple[dict[str, str], float]] = {}
        self._login = asyncio.Lock()
        self.passwords: dict[str, str] = {}  # users added over the admin API

    async def close(self) -> None:
        await self.http.aclose()

    async def headers(self, user_id: str) -> dict[str, str]:
        cached = self._headers.get(user_id)
        if cached and cached[1] > time.monotonic() + 60:
            return cached[0]
        async with self._login:  # one login per user, however many simulated clients share it
            cached = self._headers.get(user_id)
            if cached and cached[1] > time.monotonic() + 60:
                return cached[0]
            headers, ttl = await demo_headers(
                self.http, user_id, password=self.passwords.get(user_id)
            )
            self._headers[user_id] = (headers, time.monotonic() + ttl)
            return headers

    async def call(
        self,
        method: str,
        path: str,
        user: str,
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request (plus the waits a 429 asks for). Raises httpx.TimeoutException and
        httpx.TransportError after recording them; every other outcome is the response."""
        endpoint = endpoint_of(method, path)
        for _ in range(20):
            auth = await self.headers(user)
            started = time.monotonic()
            try:
                response = await self.http.request(
                    method,
                    f"/api/v1{path}",
                    headers={**auth, **(headers or {})},
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                    **kwargs,
                )
            except httpx.TimeoutException:
                self.figures.timeouts[endpoint] += 1
                raise
            except httpx.TransportError:
                self.figures.transport_errors[endpoint] += 1
                raise
            self.figures.latency[endpoint].append(time.monotonic() - started)
            self.figures.status[response.status_code] += 1
            self.figures.by_endpoint[endpoint][response.status_code] += 1
            if response.status_code == 429:
                self.figures.rate_limited += 1
                wait = float(response.headers.get("Retry-After", "1") or 1)
                await asyncio.sleep(min(max(wait, 0.1), MAX_RETRY_AFTER))
                continue
            if response.status_code == 401 and self._headers.pop(user, None) is not None:
                continue  # an expired login: log in again once
            return response
        raise AssertionError(
            f"{method} {path} as {user}: still refused after 20 tries "
            f"({response.status_code} {response.text[:200]})"
        )
