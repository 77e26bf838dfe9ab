"""The demo city prepared for the authorization tests: principals, shared tickets, photos and
subjects, and tickets made fresh in the state an allowed action needs."""

import asyncio
import io
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import col, update
from temporalio.testing import WorkflowEnvironment

from domain import demo_city
from domain.subjects import SubjectState
from readmodel.db import Database
from readmodel.reference.tables import Category, SubjectRow
from readmodel.tickets import photo_store
from settings import Settings
from tests.api_fixtures import CGJ, LI, SUPERVISOR, WANG, ZJJ, Gridflow, running_app
from tests.conftest import seed_for_tests
from tests.factories import GARBAGE, MANHOLE, OTHER, ROAD_DAMAGE, STREETLIGHT
from worker import build_worker

WU, ADMIN, SENSOR = "demo-supervisor-wu", "demo-admin", "demo-sensor-gateway"
P = ("anon", "wang", "wang_other", "zhao", "qian", "wu", "wu_other", "chen", "admin", "sensor")
TOKEN = {
    "anon": None,
    "wang": WANG,
    "wang_other": WANG,
    "zhao": CGJ,
    "qian": ZJJ,
    "wu": WU,
    "wu_other": WU,
    "chen": SUPERVISOR,
    "admin": ADMIN,
    "sensor": SENSOR,
}
LOGIN = {
    "wang": "wang",
    "wang_other": "wang",
    "zhao": "zhao",
    "qian": "qian",
    "wu": "wu",
    "wu_other": "wu",
    "chen": "chen",
    "admin": "admin",
    "sensor": "gateway",
}
HOME = demo_city.GRIDS[1]  # wang's grid, in wu's street (北山街道 330106001)
LIS = demo_city.GRIDS[2]  # li's grid, the same street
FAR = next(g for g in demo_city.GRIDS if g.street == demo_city.DISTRICT + "002")  # not wu's
HOME_GRID = HOME.code
ROAD_DAMAGE_RULE = f"R-{ROAD_DAMAGE}"
# The principals addressed at the other grid (wang) or street (wu) than their own.
ELSEWHERE = {"wang_other": "li", "wu_other": "far"}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def spot(cell: Any) -> dict[str, float]:
    return {"lat": cell.inside.lat, "lon": cell.inside.lon}


class World:
    def __init__(self, gf: Gridflow) -> None:
        self.gf = gf
        self.tickets: dict[str, str] = {}
        self.photos: dict[str, str] = {}
        self.subjects: dict[str, str] = {}
        self.black_subject = ""
        self.duplicate_target = ""
        self.standing_rule = 0
        self.standing_user = self.standing_key = ""

    @staticmethod
    def unique(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"

    async def ok(
        self, method: str, url: str, token: str | None, expect: int = 200, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.gf.call(method, url, token, **kwargs)
        assert response.status_code == expect, (method, url, response.text)
        return response.json() if response.content else {}

    async def wait(self, ticket_id: str, status: str, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            response = await self.gf.call("GET", f"/tickets/{ticket_id}", SUPERVISOR)
            if response.status_code == 200 and response.json()["status"] == status:
                return
            assert asyncio.get_running_loop().time() < deadline, (ticket_id, response.text)
            await asyncio.sleep(0.1)

    async def photo(self, token: str, kind: str = "report") -> str:
        return (
            await self.ok(
                "POST",
                "/photos",
                token,
                201,
                data={"kind": kind},
                files={"file": ("p.png", png(), "image/png")},
            )
        )["photo_id"]

    async def report(
        self,
        *,
        token: str = WANG,
        category: str = GARBAGE,
        where: Any = HOME,
        status: str = "dispatched",
        **body: Any,
    ) -> str:
        payload = {"category": category, "description": "授权测试 authz", **spot(where), **body}
        ticket_id = (
            await self.ok(
                "POST",
                "/incidents",
                token,
                201,
                json=payload,
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
        )["ticket_id"]
        await self.wait(ticket_id, status)
        return ticket_id

    async def setup(self) -> None:
        home_photo, li_photo = await self.photo(WANG), await self.photo(LI)
        (
            self.tickets["home"],
            self.tickets["li"],
            self.tickets["far"],
            self.duplicate_target,
        ) = await asyncio.gather(
            self.report(photo_ids=[home_photo]),
            self.report(token=LI, where=LIS, photo_ids=[li_photo]),
            self.report(token=SENSOR, category=MANHOLE, where=FAR, device_id=self.unique("well")),
            self.report(category=STREETLIGHT),
        )
        far_photo = await self.photo(SUPERVISOR, kind="write_off")
        async with self.gf.db.session() as session:  # as if chen's write-off check had used it
            await photo_store.attach(
                session=session, photo_ids=[far_photo], ticket_id=self.tickets["far"]
            )
        self.photos = {"home": home_photo, "li": li_photo, "far": far_photo}
        self.subjects = {
            place: await self.subject(cell, recheck_due=True)
            for place, cell in (("home", HOME), ("li", LIS), ("far", FAR))
        }
        self.black_subject = await self.subject(HOME)
        self.standing_rule = await self.deadline_rule()
        self.standing_user, self.standing_key = await self.new_user(), await self.new_key()

    async def subject(self, cell: Any, *, recheck_due: bool = False) -> str:
        code = self.unique("AZ")
        await self.ok(
            "POST",
            "/admin/subjects",
            ADMIN,
            201,
            json={"code": code, "name": "授权测试店", "kind": "shop", "grid": cell.code},
        )
        if recheck_due:  # its week of observation over: the dev server's clock does not skip
            async with self.gf.db.session() as session:
                state = SubjectState(code=code, name="授权测试店", recheck_due=True)
                row = await session.get(SubjectRow, code)
                assert row is not None
                row.state = state.model_dump(mode="json")
                session.add(row)
                await session.commit()
        return code

    def _place(self, p: str) -> str:
        return ELSEWHERE.get(p, "home")

    def ticket_of(self, p: str) -> str:
        return self.tickets[self._place(p)]

    def photo_of(self, p: str) -> str:
        return self.photos[self._place(p)]

    def subject_of(self, p: str, home: str | None = None) -> str:
        place = self._place(p)
        return home if home and place == "home" else self.subjects[place]

    async def black_subject_fresh(self, p: str) -> str:
        code = await self.subject(FAR if self._place(p) == "far" else HOME)
        await self.ok("POST", f"/subjects/{code}/black", SUPERVISOR, json={"reason": "shut_down"})
        return code

    async def fresh(self, state: str, p: str) -> str:
        """A new cgj ticket in `state` at the principal's place: wang's grid (wu's street), li's
        grid (li reports) or another street (the sensor reports)."""
        place = self._place(p)
        if state == "duplicate_review":
            if place != "home":  # no one there to report twice: the shared ticket
                return self.ticket_of(p)
            return await self.report(
                category=STREETLIGHT, status="duplicate_review", lat=HOME.inside.lat + 10 / 111_000
            )
        reporter: dict[str, Any] = {
            "home": {},
            "li": {"token": LI, "where": LIS},
            "far": {"token": SENSOR, "where": FAR, "device_id": self.unique("well")},
        }[place]
        if state == "manual_dispatch":
            return await self.report(category=OTHER, status="manual_dispatch", **reporter)
        ticket_id = await self.report(
            **reporter, **({"category": MANHOLE} if place == "far" else {})
        )
        act = self.gf.act
        if state in ("claimed", "rectifying", "resolved"):
            assert (await act(ticket_id, "claim", CGJ)).status_code == 200
        if state == "rectifying":
            assert (
                await act(
                    ticket_id,
                    "verify",
                    CGJ,
                    {
                        "outcome": "needs_rectification",
                        "severity": "yellow",
                        "rectify_working_days": 5,
                    },
                )
            ).status_code == 200
        if state == "resolved":
            assert (
                await act(ticket_id, "verify", CGJ, {"outcome": "fixed_on_site"})
            ).status_code == 200
        if state == "extension_requested":
            assert (
                await act(
                    ticket_id, "request-extension", CGJ, {"working_days": 1, "reason": "busy"}
                )
            ).status_code == 200
        if state in ("parking_requested", "parked"):
            review = (datetime.now(UTC) + timedelta(days=30)).isoformat()
            assert (
                await act(
                    ticket_id, "request-parking", CGJ, {"reason": "later", "review_at": review}
                )
            ).status_code == 200
        if state == "parked":
            assert (await act(ticket_id, "approve-parking", SUPERVISOR)).status_code == 200
        return ticket_id

    def report_args(self, p: str) -> dict[str, Any]:
        where = LIS if p == "wang_other" else HOME
        body: dict[str, Any] = {"category": GARBAGE, "description": "授权测试", **spot(where)}
        if p == "sensor":
            body |= {"category": MANHOLE, "device_id": self.unique("well")}
        return {"json": body, "extra_headers": {"Idempotency-Key": str(uuid.uuid4())}}

    @staticmethod
    def photo_args() -> dict[str, Any]:
        return {"data": {"kind": "report"}, "files": {"file": ("p.png", png(), "image/png")}}

    async def deadline_rule(self) -> int:
        return (
            await self.ok(
                "POST",
                "/admin/deadline-rules",
                ADMIN,
                201,
                json={
                    "stage": "verify",
                    "amount": 3,
                    "unit": "working_days",
                    "category": ROAD_DAMAGE,
                },
            )
        )["id"]

    def routing_rule_body(self) -> dict[str, Any]:
        return {
            "rule_id": self.unique("R-AZ"),
            "category": ROAD_DAMAGE,
            "department": "jtj",
            "area": FAR.code,
            "priority": 3,
        }

    async def routing_rule(self) -> str:
        return (
            await self.ok("POST", "/admin/routing-rules", ADMIN, 201, json=self.routing_rule_body())
        )["rule_id"]

    def user_body(self) -> dict[str, Any]:
        return {
            "user_id": self.unique("az").lower(),
            "name": "新网格员",
            "role": "grid_worker",
            "grids": [HOME_GRID],
            "password": "a-long-enough-password",
        }

    async def new_user(self) -> str:
        """A user of the test's own: changing a demo user's rights would end its tokens."""
        return (await self.ok("POST", "/admin/users", ADMIN, 201, json=self.user_body()))["user_id"]

    async def new_key(self) -> str:
        return (
            await self.ok(
                "POST",
                "/admin/api-keys",
                ADMIN,
                201,
                json={"user_id": "gateway", "label": "authz spare", "scopes": ["sensor_intake"]},
            )
        )["key_id"]

    @staticmethod
    def login_form(p: str) -> dict[str, str]:
        if p == "anon":
            return {"username": "wang", "password": "not-his-password"}
        return {"username": LOGIN[p], "password": TOKEN[p] or ""}

    async def own_session_headers(self, p: str) -> dict[str, str]:
        """A session of its own to log out: the shared cached tokens must keep working."""
        if p == "anon":
            return {}
        if p == "sensor":
            return {"X-API-Key": SENSOR}
        response = await self.gf.http.post("/api/v1/auth/token", data=self.login_form(p))
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
async def world(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    """One gridflow for the module: its own read model, task queue and worker, no intake limit
    (the matrix reports far more than a phone would in a minute)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('authz')}/gridflow.db")
    await seed_for_tests(database)
    async with database.session() as session:  # duplicate detection for street lights only
        await session.exec(
            update(Category)
            .where(col(Category.code) != STREETLIGHT)
            .values(duplicate_radius_m=None)
        )
        await session.commit()
    with tempfile.TemporaryDirectory(prefix="gridflow-authz-") as data_dir:
        config = Settings(
            task_queue=f"tq-{uuid.uuid4()}",
            database_url=database.url,
            data_dir=Path(data_dir),
            intake_per_minute=100_000,
            intake_burst=100_000,
        )
        async with build_worker(dev_env.client, db=database, config=config):
            async with running_app(dev_env.client, database, config) as http:
                world = World(
                    Gridflow(http=http, db=database, config=config, client=dev_env.client)
                )
                await world.setup()
                yield world
    await database.dispose()
