"""The login limit per address counts the real client: X-Forwarded-For is believed only from
the proxies in GRIDFLOW_TRUSTED_PROXIES (docs/auth.md, "Promises and the tests that guard
them")."""

import uuid
from collections.abc import Callable

import httpx
import pytest
from temporalio.client import Client

from readmodel.db import Database
from settings import Settings
from tests.api_fixtures import running_app
from tests.browser import Live, live  # noqa: F401  (served over real HTTP by uvicorn)
from tests.test_api_login_throttle import assert_throttled

BACKENDS = ["sqlite"]  # the address bucket lives in the API process, not in the database


async def guesses(
    http: httpx.AsyncClient, count: int, forwarded: Callable[[int], str]
) -> list[int]:
    """Failed logins for new user names, each claiming to come from forwarded(n)."""
    codes = []
    for n in range(count):
        response = await http.post(
            "/api/v1/auth/token",
            data={"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "guess-1234567"},
            headers={"X-Forwarded-For": forwarded(n)},
        )
        codes.append(response.status_code)
        if response.status_code == 429:
            assert_throttled(response)
            break
    return codes


async def test_a_forged_forwarded_for_does_not_escape_the_address_limit(live: Live) -> None:
    """Over real HTTP from 127.0.0.1 (which uvicorn itself would trust), each guess claiming a
    new address still counts against the one real address."""
    burst = live.config.login_failure_address_burst
    codes = await guesses(live.api.http, 2 * burst + 5, lambda n: f"203.0.113.{n % 250}")
    assert codes[-1] == 429 and burst <= len(codes) - 1 < 2 * burst, codes


async def test_a_trusted_proxy_names_the_client(temporal_client: Client, db: Database) -> None:
    """Behind a configured proxy (the test client's address, 127.0.0.1), the address the proxy
    appended counts; what the client wrote left of it does not."""
    config = Settings(
        task_queue=f"tq-{uuid.uuid4()}", database_url=db.url, trusted_proxies=["127.0.0.0/8"]
    )
    async with running_app(temporal_client, db, config) as http:
        burst = config.login_failure_address_burst
        many = await guesses(http, 2 * burst + 5, lambda n: f"198.51.100.{n % 250}")
        assert 429 not in many, many  # each a different client: none held
        one = await guesses(http, 2 * burst + 5, lambda n: f"{n}.1.1.1, 192.0.2.7")
        assert one[-1] == 429 and burst <= len(one) - 1 < 2 * burst, one
        garbage = await guesses(http, 2 * burst + 5, lambda n: f"not-an-address-{n}")
        assert garbage[-1] == 429, garbage  # unreadable: the proxy itself is counted


def test_a_proxy_that_is_not_an_address_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="GRIDFLOW_TRUSTED_PROXIES"):
        Settings(trusted_proxies=["proxy.example"])
