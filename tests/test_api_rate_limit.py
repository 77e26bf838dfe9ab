"""Intake rate limits: a token bucket per user and per API key on reports and photo uploads;
429 with Retry-After; a retried report that was accepted always gets its ticket back."""

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from api.ratelimit import TokenBucket
from domain import demo_city
from readmodel.db import Database
from settings import Settings
from tests.api_fixtures import LI, WANG, Gridflow, running_app
from tests.factories import GARBAGE
from tests.test_api_photos import png
from worker import build_worker

SENSOR = "demo-sensor-gateway"
SLOW = 0.6  # tokens per minute: none comes back during a test
BACKENDS = ["sqlite"]  # the buckets live in memory: the database plays no part


@asynccontextmanager
async def limited(
    dev_env: WorkflowEnvironment, db: Database, *, per_minute: float, burst: int
) -> AsyncIterator[Gridflow]:
    """gridflow as tests/api_fixtures.py runs it, with the intake limits given."""
    with tempfile.TemporaryDirectory(prefix="gridflow-data-") as data_dir:
        config = Settings(
            task_queue=f"tq-{uuid.uuid4()}",
            database_url=db.url,
            data_dir=Path(data_dir),
            intake_per_minute=per_minute,
            intake_burst=burst,
        )
        async with build_worker(dev_env.client, db=db, config=config):
            async with running_app(dev_env.client, db, config) as http:
                yield Gridflow(http=http, db=db, config=config, client=dev_env.client)


def assert_limited(response: httpx.Response, *, at_least: int = 1) -> int:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) >= at_least
    assert error["details"]["retry_after"] == int(retry_after)
    return int(retry_after)


async def test_reports_past_the_burst_are_refused_with_retry_after(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    async with limited(dev_env, db, per_minute=SLOW, burst=2) as gf:
        assert (await gf.submit()).status_code == 201
        assert (await gf.submit()).status_code == 201
        refused = await gf.submit()
        # 0.6 a minute: the next token is 100 s away
        assert 90 <= assert_limited(refused) <= 100
        # another grid worker has a bucket of their own
        li_lon, li_lat = demo_city.GRIDS[2].inside
        other = await gf.submit(token=LI, lat=li_lat, lon=li_lon)
        assert other.status_code == 201, other.text


async def test_a_retried_report_gets_its_ticket_back_and_costs_nothing(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    async with limited(dev_env, db, per_minute=SLOW, burst=2) as gf:
        first = await gf.submit(key="phone-retry-0001")
        assert first.status_code == 201
        again = await gf.submit(key="phone-retry-0001")  # the answer was lost: the phone retries
        assert again.status_code == 200 and again.json()["replayed"] is True
        assert (await gf.submit()).status_code == 201  # the replay did not spend the second token
        assert_limited(await gf.submit())
        # out of tokens, the retry is still answered with its ticket
        late = await gf.submit(key="phone-retry-0001")
        assert late.status_code == 200, late.text
        assert late.json()["ticket_id"] == first.json()["ticket_id"]
        # a new report under a fresh key is not a replay
        assert_limited(await gf.submit(key="phone-retry-0002"))
        # a different report under the accepted key gets through the limiter only to be refused
        reused = await gf.submit(key="phone-retry-0001", description="another report")
        assert reused.status_code == 409, reused.text


async def test_tokens_come_back_at_the_configured_rate(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    async with limited(dev_env, db, per_minute=12, burst=1) as gf:
        assert (await gf.submit()).status_code == 201
        refused = await gf.submit()
        wait = assert_limited(refused)
        assert 1 <= wait <= 5  # 12 a minute: a token every 5 s, part of it gone by already
        await asyncio.sleep(wait + 0.2)
        again = await gf.submit()
        assert again.status_code == 201, again.text


async def test_photo_uploads_have_their_own_bucket(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    async with limited(dev_env, db, per_minute=SLOW, burst=2) as gf:
        image = png((64, 48))

        async def upload() -> httpx.Response:
            return await gf.call(
                "POST",
                "/photos",
                WANG,
                data={"kind": "report"},
                files={"file": ("p.png", image, "image/png")},
            )

        assert (await upload()).status_code == 201
        assert (await upload()).status_code == 201
        assert_limited(await upload())
        assert (await gf.submit()).status_code == 201  # reports are counted apart


async def test_an_api_key_is_limited_too(dev_env: WorkflowEnvironment, db: Database) -> None:
    async with limited(dev_env, db, per_minute=SLOW, burst=2) as gf:
        lon, lat = demo_city.GRIDS[1].inside
        body = {
            "category": GARBAGE,
            "lat": lat,
            "lon": lon,
            "description": "sensor: full bin",
            "device_id": "bin-0042",
        }
        # a sensor's repeat reading attaches to its open ticket, but it is still a reading sent
        for _ in range(2):
            sent = await gf.call("POST", "/incidents", SENSOR, json=body)
            assert sent.status_code in (200, 201), sent.text
        assert_limited(await gf.call("POST", "/incidents", SENSOR, json=body))
        assert (await gf.submit()).status_code == 201  # the grid workers are not held up


def test_bucket_arithmetic() -> None:
    now = [100.0]
    bucket = TokenBucket(per_minute=30, burst=3, clock=lambda: now[0])
    assert [bucket.take("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.take("a") == 2.0  # 30 a minute: one every 2 s
    assert bucket.take("b") == 0  # one bucket per principal
    now[0] += 1.0
    assert bucket.take("a") == 1.0
    now[0] += 1.0
    assert bucket.take("a") == 0
    bucket.give_back("a")
    assert bucket.take("a") == 0
    now[0] += 3600  # a long pause refills to the burst, not beyond it
    assert [bucket.take("a") for _ in range(4)][-1] > 0
