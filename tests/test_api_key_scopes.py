"""API keys act within their own scopes and with the role they were made for, checked on every
request: an owner promoted to admin does not take their old keys along (issue 12)."""

import asyncio
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import Connection, text

from readmodel import migrate
from tests.api_fixtures import ADMIN, SENSOR, Gridflow, gf  # noqa: F401
from tests.authz_world import HOME_GRID
from tests.factories import LAT, LON, MANHOLE
from tests.test_migrations import empty_url, on  # noqa: F401

PASSWORD = "a-long-enough-password"


async def admin(gf: Gridflow, method: str, url: str, **kwargs: Any) -> httpx.Response:
    return await gf.call(method, url, ADMIN, **kwargs)


async def new_user(gf: Gridflow, role: str, **rights: Any) -> str:
    user_id = f"u{uuid.uuid4().hex[:8]}"
    made = await admin(
        gf,
        "POST",
        "/admin/users",
        json={
            "user_id": user_id,
            "name": "测试 test",
            "role": role,
            "password": PASSWORD,
            **rights,
        },
    )
    assert made.status_code == 201, made.text
    return user_id


async def new_key(gf: Gridflow, user_id: str, *scopes: str) -> str:
    made = await admin(
        gf,
        "POST",
        "/admin/api-keys",
        json={"user_id": user_id, "label": "scope test", "scopes": list(scopes)},
    )
    assert made.status_code == 201, made.text
    assert made.json()["scopes"] == list(scopes)
    return made.json()["key"]


async def with_key(gf: Gridflow, key: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    headers = {"X-API-Key": key} | kwargs.pop("headers", {})
    return await gf.http.request(method, url, headers=headers, **kwargs)


def report(device: str) -> dict[str, Any]:
    return {
        "category": MANHOLE,
        "lat": LAT,
        "lon": LON,
        "description": "井盖松动 loose cover",
        "device_id": device,
    }


def open311_form(device: str) -> dict[str, str]:
    return {"service_code": MANHOLE, "lat": str(LAT), "long": str(LON), "device_id": device}


async def test_a_key_made_for_a_sensor_does_not_become_admin_with_its_owner(gf: Gridflow) -> None:
    """Issue 12 as reported: the owner promoted to admin, the old key listed the users and made
    an admin with a password, who then logged in."""
    owner = await new_user(gf, "sensor")
    key = await new_key(gf, owner, "sensor_intake")
    promoted = await admin(gf, "PATCH", f"/admin/users/{owner}", json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"

    listed = await with_key(gf, key, "GET", "/api/v1/admin/users")
    assert listed.status_code == 403, listed.text
    assert listed.json()["error"]["code"] == "outside_key_scope"
    made = await with_key(
        gf,
        key,
        "POST",
        "/api/v1/admin/users",
        json={"user_id": "intruder", "name": "intruder", "role": "admin", "password": PASSWORD},
    )
    assert made.status_code == 403, made.text
    assert (await gf.login("intruder", PASSWORD)).status_code == 401
    for method, url in (
        ("GET", "/api/v1/admin/api-keys"),
        ("GET", "/api/v1/admin/audit"),
        ("POST", "/api/v1/map/reload"),
        ("GET", "/api/v1/tickets/overdue"),
    ):
        assert (await with_key(gf, key, method, url)).status_code == 403, (method, url)
    # Still the sensor it was made for: it reports, as its owner, and is a sensor doing so.
    me = await with_key(gf, key, "GET", "/api/v1/me")
    assert me.status_code == 200, me.text
    assert (me.json()["user_id"], me.json()["role"]) == (owner, "sensor")
    sent = await with_key(gf, key, "POST", "/api/v1/incidents", json=report("pump-1"))
    assert sent.status_code == 201, sent.text


async def test_a_sensor_intake_key_reports_and_reads_its_reports_only(gf: Gridflow) -> None:
    key = await new_key(gf, "gateway", "sensor_intake")
    sent = await with_key(gf, key, "POST", "/api/v1/incidents", json=report("well-7"))
    assert sent.status_code == 201, sent.text
    ticket_id = sent.json()["ticket_id"]
    assert (await with_key(gf, key, "GET", f"/api/v1/tickets/{ticket_id}")).status_code == 200
    # Lists read the projection: a report is listed once its first projection lands, moments
    # after the acknowledgement (the ticket itself is readable at once, above).
    for _ in range(50):
        mine = await with_key(gf, key, "GET", "/api/v1/my/tickets")
        assert mine.status_code == 200, mine.text
        if ticket_id in mine.text:
            break
        await asyncio.sleep(0.1)
    assert ticket_id in mine.text
    for method, url in (
        ("GET", "/api/v1/categories"),
        ("GET", "/api/v1/notifications"),
        ("POST", f"/api/v1/tickets/{ticket_id}/cancel"),
        ("GET", "/api/v1/admin/users"),
    ):
        refused = await with_key(gf, key, method, url)
        assert refused.status_code == 403, (method, url, refused.text)
        assert "sensor_intake" in refused.json()["error"]["message"]
    open311 = await with_key(
        gf, key, "POST", "/open311/v2/requests.json", data=open311_form("well-8")
    )
    assert open311.status_code == 403 and "sensor_intake" in open311.text


async def test_an_open311_key_reports_through_open311_only(gf: Gridflow) -> None:
    key = await new_key(gf, "gateway", "open311_report")
    sent = await gf.http.post(
        "/open311/v2/requests.json", data=open311_form("well-9") | {"api_key": key}
    )
    assert sent.status_code == 201, sent.text
    for method, url, body in (
        ("POST", "/api/v1/incidents", report("well-9")),
        ("GET", "/api/v1/me", None),
        ("GET", f"/api/v1/tickets/{sent.json()[0]['service_request_id']}", None),
    ):
        refused = await with_key(gf, key, method, url, json=body)
        assert refused.status_code == 403, (method, url, refused.text)


async def test_a_read_only_key_reads_with_the_role_it_was_made_for(gf: Gridflow) -> None:
    owner = await new_user(gf, "grid_worker", grids=[HOME_GRID])
    key = await new_key(gf, owner, "read_only")
    for url in ("/api/v1/my/tickets", "/api/v1/my/write-off-checks", "/api/v1/categories"):
        assert (await with_key(gf, key, "GET", url)).status_code == 200, url
    written = await with_key(
        gf,
        key,
        "POST",
        "/api/v1/incidents",
        json=report("x") | {"device_id": None},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert written.status_code == 403 and "read_only" in written.json()["error"]["message"]
    assert (await with_key(gf, key, "POST", "/api/v1/photos")).status_code == 403
    assert (await with_key(gf, key, "GET", "/api/v1/admin/users")).status_code == 403

    promoted = await admin(
        gf, "PATCH", f"/admin/users/{owner}", json={"role": "supervisor", "area": "330106"}
    )
    assert promoted.status_code == 200, promoted.text
    token = (await gf.login(owner, PASSWORD)).json()["access_token"]
    overdue = "/api/v1/tickets/overdue"
    as_supervisor = await gf.http.get(overdue, headers={"Authorization": f"Bearer {token}"})
    assert as_supervisor.status_code == 200  # the owner, logged in, has the new role
    assert (await with_key(gf, key, "GET", overdue)).status_code == 403  # the key has not
    me = await with_key(gf, key, "GET", "/api/v1/me")
    assert me.json()["role"] == "grid_worker"

    off = await admin(gf, "PATCH", f"/admin/users/{owner}", json={"active": False})
    assert off.status_code == 200
    assert (await with_key(gf, key, "GET", "/api/v1/my/tickets")).status_code == 401


async def test_no_key_is_made_with_an_admin_scope_or_beyond_its_owner(gf: Gridflow) -> None:
    worker = await new_user(gf, "grid_worker", grids=[HOME_GRID])
    refused: list[tuple[dict[str, object], str]] = [
        ({"user_id": "gateway", "scopes": ["admin"]}, "scopes"),
        ({"user_id": "gateway", "scopes": []}, "scopes"),
        ({"user_id": "gateway"}, "scopes"),
        ({"user_id": "gateway", "scopes": ["read_only", "read_only"]}, "scopes"),
        ({"user_id": worker, "scopes": ["sensor_intake"]}, "scopes"),
        ({"user_id": worker, "scopes": ["read_only", "open311_report"]}, "scopes"),
        ({"user_id": "admin", "scopes": ["read_only"]}, "user_id"),
    ]
    for body, field in refused:
        answer = await admin(gf, "POST", "/admin/api-keys", json=body | {"label": "x"})
        assert answer.status_code == 422, (body, answer.text)
        assert field in answer.json()["error"]["message"], (body, answer.text)
    keys = {k["key_id"]: k for k in (await admin(gf, "GET", "/admin/api-keys")).json()}
    assert (keys["demo-gateway"]["scopes"], keys["demo-gateway"]["role"]) == (
        ["sensor_intake", "open311_report"],
        "sensor",
    )
    assert all(k["role"] != "admin" for k in keys.values())
    # The demo gateway's key does what it did: report on both paths.
    assert (
        await with_key(gf, SENSOR, "POST", "/api/v1/incidents", json=report("demo-well"))
    ).status_code == 201
    assert (
        await with_key(
            gf, SENSOR, "POST", "/open311/v2/requests.json", data=open311_form("demo-well-2")
        )
    ).status_code == 201


async def test_keys_from_before_scopes_are_narrowed_by_the_migration(empty_url: str) -> None:
    """0005: a sensor's keys report, anyone else's only read with the owner's role of then, and
    a key whose owner is an admin now (promoted after it was made) is revoked."""
    await migrate.upgrade(empty_url, "0004")
    owners = {"gw": "sensor", "wang": "grid_worker", "boss": "admin"}

    def make_keys(conn: Connection) -> None:
        for user_id, role in owners.items():
            conn.execute(
                text(
                    'INSERT INTO "user" (user_id, name, role, grids, active, token_version) '
                    "VALUES (:u, :u, :r, '[]', :t, 0)"
                ),
                {"u": user_id, "r": role, "t": True},
            )
            conn.execute(
                text(
                    "INSERT INTO api_key (key_id, user_id, label, key_hash, prefix, created_at, "
                    "created_by) VALUES (:k, :u, 'old', :h, 'gfk_', CURRENT_TIMESTAMP, 'admin')"
                ),
                {"k": f"ak-{user_id}", "u": user_id, "h": f"hash-{user_id}"},
            )

    await on(empty_url, make_keys)
    await migrate.upgrade(empty_url)
    rows = await on(
        empty_url,
        lambda c: c.execute(
            text("SELECT key_id, scopes, role, revoked_at IS NOT NULL FROM api_key ORDER BY key_id")
        ).all(),
    )
    found = {
        k: (s if isinstance(s, list) else json.loads(s), r, revoked) for k, s, r, revoked in rows
    }
    assert found == {
        "ak-boss": (["read_only"], "admin", True),
        "ak-gw": (["sensor_intake", "open311_report"], "sensor", False),
        "ak-wang": (["read_only"], "grid_worker", False),
    }
