"""The audit log: a row for every mutating request whatever its outcome, and for every login;
admins read it; the database refuses to change or delete a row, on SQLite and PostgreSQL."""
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from structlog.testing import capture_logs

from api.main import create_app
from domain.calendar import SHANGHAI
from readmodel import audit
from readmodel.db import Database
from tests.api_fixtures import ADMIN, CGJ, SENSOR, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status

PASSWORD = "wrong-password-for-the-audit-test"


async def rows(gf: Gridflow, **where: Any) -> list[dict[str, Any]]:
    """The audit rows read straight from the table (oldest first), filtered by column values."""
    async with gf.db.engine.connect() as conn:
        found = (await conn.execute(text("SELECT * FROM audit_log ORDER BY id"))).mappings().all()
    return [dict(r) for r in found if all(r[k] == v for k, v in where.items())]


async def the_row(gf: Gridflow, response: Any) -> dict[str, Any]:
    [row] = await rows(gf, request_id=response.headers["x-request-id"])
    return row


async def test_a_submission_is_recorded_with_its_ticket(gf: Gridflow) -> None:
    response = await gf.submit(token=WANG)
    assert response.status_code == 201, response.text
    row = await the_row(gf, response)
    assert (row["actor_id"], row["role"], row["auth"]) == ("wang", "grid_worker", "jwt")
    assert (row["method"], row["route"]) == ("POST", "/api/v1/incidents")
    assert row["ticket_id"] == response.json()["ticket_id"]
    assert (row["status"], row["outcome"], row["error"]) == (201, "ok", None)

    keyed = await gf.http.post("/api/v1/auth/logout", headers={"X-API-Key": SENSOR})
    assert keyed.status_code == 400  # a machine client has no token to end
    row = await the_row(gf, keyed)
    assert (row["actor_id"], row["role"], row["auth"]) == ("gateway", "sensor", "api_key")
    assert SENSOR not in str(row.values())


async def test_a_refused_action_is_recorded_with_its_message(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    refused = await gf.act(ticket_id, "cancel", CGJ, {"kind": "invalid", "reason": "not mine"})
    assert refused.status_code == 403
    row = await the_row(gf, refused)
    assert (row["actor_id"], row["role"]) == ("zhao", "department_staff")
    assert row["route"] == "/api/v1/tickets/{ticket_id}/cancel"
    assert (row["ticket_id"], row["status"], row["outcome"]) == (ticket_id, 403, "refused")
    assert row["error"] == refused.json()["error"]["message"] and row["error"]

    claimed = await gf.act(ticket_id, "claim", CGJ)
    assert claimed.status_code == 200
    row = await the_row(gf, claimed)
    assert (row["route"], row["ticket_id"], row["outcome"]) == (
        "/api/v1/tickets/{ticket_id}/claim", ticket_id, "ok")


async def test_invalid_input_is_recorded(gf: Gridflow) -> None:
    response = await gf.submit(token=WANG, lat="not a number")
    assert response.status_code == 422
    row = await the_row(gf, response)
    assert (row["actor_id"], row["status"], row["outcome"]) == ("wang", 422, "refused")
    assert "lat" in row["error"] and row["ticket_id"] is None

    # Reports beyond the intake limit are refused with 429, and recorded as well.
    for _ in range(gf.config.intake_burst + 5):
        response = await gf.submit(token=WANG, lat="not a number")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    row = await the_row(gf, response)
    assert (row["actor_id"], row["outcome"]) == ("wang", "refused")
    assert row["error"].startswith("too many submissions")


async def test_missing_tickets_and_conflicts_are_recorded(gf: Gridflow) -> None:
    missing = await gf.act("GF-000000000000", "claim", CGJ)
    assert missing.status_code == 404
    row = await the_row(gf, missing)
    assert (row["ticket_id"], row["status"], row["outcome"]) == ("GF-000000000000", 404, "refused")
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    assert (await gf.act(ticket_id, "claim", CGJ)).status_code == 200
    again = await gf.act(ticket_id, "claim", CGJ)
    assert again.status_code == 409
    row = await the_row(gf, again)
    assert (row["ticket_id"], row["status"], row["actor_id"]) == (ticket_id, 409, "zhao")
    assert row["error"] == again.json()["error"]["message"]


async def test_an_unauthenticated_call_is_recorded_without_an_actor(gf: Gridflow) -> None:
    response = await gf.call("POST", "/tickets/GF-NOBODY/claim",
                             headers={"X-Request-ID": "probe-401"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "probe-401"  # the caller's id, echoed
    row = await the_row(gf, response)
    assert (row["actor_id"], row["role"], row["auth"]) == (None, None, None)
    assert (row["ticket_id"], row["status"], row["outcome"]) == ("GF-NOBODY", 401, "refused")
    # A read refused for want of rights is recorded too; a read allowed is not.
    denied = await gf.call("GET", "/admin/audit", SUPERVISOR)
    assert denied.status_code == 403
    assert (await the_row(gf, denied))["actor_id"] == "chen"
    allowed = await gf.call("GET", "/admin/audit", ADMIN)
    assert allowed.status_code == 200
    assert await rows(gf, request_id=allowed.headers["x-request-id"]) == []


async def test_logins_are_recorded_by_user_name_never_password(gf: Gridflow) -> None:
    failed = await gf.http.post("/api/v1/auth/token", data={"username": "wang", "password": PASSWORD})
    assert failed.status_code == 401
    row = await the_row(gf, failed)
    assert (row["username"], row["actor_id"], row["auth"]) == ("wang", None, "password")
    assert (row["route"], row["status"], row["outcome"]) == ("/api/v1/auth/token", 401, "refused")
    ok = await gf.http.post("/api/v1/auth/token", data={"username": "wang", "password": WANG})
    assert ok.status_code == 200
    row = await the_row(gf, ok)
    assert (row["username"], row["actor_id"], row["outcome"]) == ("wang", "wang", "ok")
    multipart = await gf.http.post("/api/v1/auth/token",
                                   files={"username": (None, "li"), "password": (None, PASSWORD)})
    assert multipart.status_code == 401
    assert (await the_row(gf, multipart))["username"] == "li"
    everything = " ".join(str(v) for r in await rows(gf) for v in r.values())
    assert PASSWORD not in everything and WANG not in everything


async def test_every_mutating_route_is_recorded(gf: Gridflow) -> None:
    """Whatever route a change goes through, even one added later, it leaves a row."""
    paths = create_app(gf.config, client=gf.client, db=gf.db).openapi()["paths"]
    routes = [(method.upper(), template) for template, operations in paths.items()
              for method in operations
              if method in {"post", "put", "patch", "delete"}
              and template.startswith(("/api/", "/open311/"))]
    assert len(routes) > 20
    for method, template in routes:
        url = template.replace("{", "").replace("}", "")  # each path parameter named as itself
        response = await gf.http.request(method, url)
        recorded = await the_row(gf, response)
        assert (recorded["method"], recorded["route"]) == (method, template)
        assert recorded["status"] == response.status_code


async def test_admins_read_the_log_with_filters(gf: Gridflow) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    assert (await gf.act(ticket_id, "cancel", CGJ, {"kind": "invalid", "reason": "x"})).status_code == 403
    assert (await gf.act(ticket_id, "claim", CGJ)).status_code == 200

    async def page(**params: Any) -> dict[str, Any]:
        response = await gf.call("GET", "/admin/audit", ADMIN, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    body = await page(ticket_id=ticket_id)
    assert [(i["route"].rsplit("/", 1)[-1], i["outcome"]) for i in body["items"]] == [
        ("claim", "ok"), ("cancel", "refused"), ("incidents", "ok")]  # the newest first
    assert body["total"] == 3
    assert [i["status"] for i in (await page(ticket_id=ticket_id, outcome="refused"))["items"]] == [403]
    assert {i["actor_id"] for i in (await page(actor="zhao"))["items"]} == {"zhao"}
    second = await page(ticket_id=ticket_id, limit=1, offset=1)
    assert (second["total"], len(second["items"])) == (3, 1)
    assert second["items"][0]["route"].endswith("/cancel")
    since = before.isoformat()
    assert (await page(ticket_id=ticket_id, since=since))["total"] == 3
    assert (await page(ticket_id=ticket_id, until=since))["total"] == 0
    later = (datetime.now(UTC) + timedelta(hours=1)).astimezone(SHANGHAI).isoformat()
    assert (await page(ticket_id=ticket_id, since=since, until=later))["total"] == 3

    for params in ({"outcome": "maybe"}, {"since": "yesterday"}, {"since": "2026-01-01T00:00"},
                   {"since": later, "until": since}, {"limit": 0}, {"offset": 10**12},
                   {"since": "9999-12-31T23:59:59-23:00"}, {"until": "0001-01-01T00:00:00+05:00"}):
        refused = await gf.call("GET", "/admin/audit", ADMIN, params=params)
        assert refused.status_code == 422, params


async def test_a_failed_audit_write_does_not_fail_the_action(gf: Gridflow) -> None:
    async with gf.db.engine.begin() as conn:  # the audit table stops accepting rows
        if gf.db.engine.dialect.name == "sqlite":
            await conn.execute(text("CREATE TRIGGER audit_log_full BEFORE INSERT ON audit_log "
                                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
        else:
            await conn.execute(text("CREATE RULE audit_log_full AS ON INSERT TO audit_log "
                                    "DO INSTEAD SELECT 1/0"))
    with capture_logs() as logs:
        response = await gf.submit(token=WANG)
    assert response.status_code == 201, response.text
    [failure] = [e for e in logs if e["event"] == "audit write failed"]
    assert failure["log_level"] == "error"
    assert (failure["actor_id"], failure["route"], failure["status"]) == (
        "wang", "/api/v1/incidents", 201)
    assert failure["ticket_id"] == response.json()["ticket_id"]
    assert failure["request_id"] == response.headers["x-request-id"]


# --- append-only, in the database itself ---------------------------------------------------



@pytest.mark.parametrize("change", [
    "UPDATE audit_log SET status = 200, outcome = 'ok' WHERE request_id = :r",
    "UPDATE audit_log SET actor_id = 'someone-else'",
    "DELETE FROM audit_log WHERE request_id = :r",
    "DELETE FROM audit_log",
])
async def test_the_database_refuses_to_change_the_log(empty_db: Database, change: str) -> None:
    request_id = uuid.uuid4().hex
    async with empty_db.session() as session:
        await audit.append(session=session, entry=audit.AuditEntry(
            at=audit.now(), actor_id="zhao", role="department_staff", auth="jwt", method="POST",
            route="/api/v1/tickets/{ticket_id}/claim", ticket_id="GF-1", status=403,
            outcome="refused", error="not yours", request_id=request_id))
    with pytest.raises(DBAPIError, match="append-only"):
        async with empty_db.engine.begin() as conn:
            await conn.execute(text(change), {"r": request_id})
    if empty_db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            async with empty_db.engine.begin() as conn:
                await conn.execute(text("TRUNCATE audit_log"))
    async with empty_db.engine.connect() as conn:
        kept = (await conn.execute(text("SELECT actor_id, status, outcome FROM audit_log"))).all()
    assert [tuple(r) for r in kept] == [("zhao", 403, "refused")]
