"""The audit log: a row for every mutating request whatever its outcome, and for every login;
admins read it; the database refuses to change or delete a row, on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from structlog.testing import capture_logs
from temporalio.client import Client

from api import tickets_service
from api.main import create_app
from domain.calendar import SHANGHAI
from readmodel.access import audit
from readmodel.access.audit_resolve import resolve
from readmodel.db import Database
from settings import Settings
from tests.api_fixtures import (  # noqa: F401
    ADMIN,
    CGJ,
    SENSOR,
    SUPERVISOR,
    WANG,
    Gridflow,
    gf,
    running_app,
)
from tests.test_api_lifecycle import wait_for_status
from worker import build_worker

PASSWORD = "wrong-password-for-the-audit-test"


async def rows(gf: Gridflow, **where: Any) -> list[dict[str, Any]]:
    """The audit rows read straight from the table (oldest first), filtered by column values."""
    async with gf.db.engine.connect() as conn:
        found = (await conn.execute(text("SELECT * FROM audit_log ORDER BY id"))).mappings().all()
    return [dict(r) for r in found if all(r[k] == v for k, v in where.items())]


async def the_row(gf: Gridflow, response: Any) -> dict[str, Any]:
    """The row that says how the request ended (an action also has its intent before it)."""
    [row] = [
        r
        for r in await rows(gf, request_id=response.headers["x-request-id"])
        if r["outcome"] != "pending"
    ]
    return row


async def the_intent(gf: Gridflow, response: Any) -> dict[str, Any]:
    [row] = await rows(gf, request_id=response.headers["x-request-id"], outcome="pending")
    return row


async def test_a_submission_is_recorded_with_its_ticket(gf: Gridflow) -> None:
    response = await gf.submit(token=WANG)
    assert response.status_code == 201, response.text
    row = await the_row(gf, response)
    assert (row["actor_id"], row["role"], row["auth"]) == ("wang", "grid_worker", "jwt")
    assert (row["method"], row["route"]) == ("POST", "/api/v1/incidents")
    assert row["ticket_id"] == response.json()["ticket_id"]
    assert (row["status"], row["outcome"], row["error"]) == (201, "ok", None)
    # Its intent came first, naming the ticket before the workflow was started.
    intent = await the_intent(gf, response)
    assert intent["id"] < row["id"] and intent["ticket_id"] == row["ticket_id"]
    assert (intent["call"], intent["status"], intent["actor_id"]) == ("start", 0, "wang")
    assert (row["call"], row["call_id"], row["seq"], row["settled"]) == (
        "start",
        intent["call_id"],
        1,
        True,
    )

    keyed = await gf.http.post("/api/v1/auth/logout", headers={"X-API-Key": SENSOR})
    assert keyed.status_code == 403  # a machine client's key: not in its scopes
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
        "/api/v1/tickets/{ticket_id}/claim",
        ticket_id,
        "ok",
    )
    [claim] = [e for e in claimed.json()["timeline"] if e["action"] == "claim"]
    assert (row["call"], row["seq"]) == ("update", claim["seq"])
    assert (await the_intent(gf, claimed))["call_id"] == row["call_id"]


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
    response = await gf.call(
        "POST", "/tickets/GF-NOBODY/claim", headers={"X-Request-ID": "probe-401"}
    )
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
    failed = await gf.http.post(
        "/api/v1/auth/token", data={"username": "wang", "password": PASSWORD}
    )
    assert failed.status_code == 401
    row = await the_row(gf, failed)
    assert (row["username"], row["actor_id"], row["auth"]) == ("wang", None, "password")
    assert (row["route"], row["status"], row["outcome"]) == ("/api/v1/auth/token", 401, "refused")
    ok = await gf.http.post("/api/v1/auth/token", data={"username": "wang", "password": WANG})
    assert ok.status_code == 200
    row = await the_row(gf, ok)
    assert (row["username"], row["actor_id"], row["outcome"]) == ("wang", "wang", "ok")
    multipart = await gf.http.post(
        "/api/v1/auth/token", files={"username": (None, "li"), "password": (None, PASSWORD)}
    )
    assert multipart.status_code == 401
    assert (await the_row(gf, multipart))["username"] == "li"
    everything = " ".join(str(v) for r in await rows(gf) for v in r.values())
    assert PASSWORD not in everything and WANG not in everything


async def test_every_mutating_route_is_recorded(gf: Gridflow) -> None:
    """Whatever route a change goes through, even one added later, it leaves a row."""
    paths = create_app(gf.config, client=gf.client, db=gf.db).openapi()["paths"]
    routes = [
        (method.upper(), template)
        for template, operations in paths.items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
        and template.startswith(("/api/", "/open311/"))
    ]
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
    assert (
        await gf.act(ticket_id, "cancel", CGJ, {"kind": "invalid", "reason": "x"})
    ).status_code == 403
    assert (await gf.act(ticket_id, "claim", CGJ)).status_code == 200

    async def page(**params: Any) -> dict[str, Any]:
        response = await gf.call("GET", "/admin/audit", ADMIN, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    body = await page(ticket_id=ticket_id)
    # The newest first; each call to the workflow has its intent just before its outcome.
    assert [(i["route"].rsplit("/", 1)[-1], i["outcome"]) for i in body["items"]] == [
        ("claim", "ok"),
        ("claim", "pending"),
        ("cancel", "refused"),
        ("cancel", "pending"),
        ("incidents", "ok"),
        ("incidents", "pending"),
    ]
    assert body["total"] == 6
    assert [i["status"] for i in (await page(ticket_id=ticket_id, outcome="refused"))["items"]] == [
        403
    ]
    pending = (await page(ticket_id=ticket_id, outcome="pending"))["items"]
    assert [i["call"] for i in pending] == ["update", "update", "start"]
    assert {i["call_id"] for i in pending} == {i["call_id"] for i in body["items"]}
    assert {i["actor_id"] for i in (await page(actor="zhao"))["items"]} == {"zhao"}
    second = await page(ticket_id=ticket_id, limit=1, offset=2)
    assert (second["total"], len(second["items"])) == (6, 1)
    assert second["items"][0]["route"].endswith("/cancel")
    since = before.isoformat()
    assert (await page(ticket_id=ticket_id, since=since))["total"] == 6
    assert (await page(ticket_id=ticket_id, until=since))["total"] == 0
    later = (datetime.now(UTC) + timedelta(hours=1)).astimezone(SHANGHAI).isoformat()
    assert (await page(ticket_id=ticket_id, since=since, until=later))["total"] == 6

    for params in (
        {"outcome": "maybe"},
        {"since": "yesterday"},
        {"since": "2026-01-01T00:00"},
        {"since": later, "until": since},
        {"limit": 0},
        {"offset": 10**12},
        {"since": "9999-12-31T23:59:59-23:00"},
        {"until": "0001-01-01T00:00:00+05:00"},
    ):
        refused = await gf.call("GET", "/admin/audit", ADMIN, params=params)
        assert refused.status_code == 422, params


async def refuse_audit_rows(gf: Gridflow, *, when: str = "1 = 1") -> None:
    """From now on the audit table refuses every row that `when` (SQL on NEW) holds for."""
    async with gf.db.engine.begin() as conn:
        if gf.db.engine.dialect.name == "sqlite":
            await conn.execute(
                text(
                    f"CREATE TRIGGER audit_log_full BEFORE INSERT ON audit_log "
                    f"WHEN {when.replace('NEW', 'new')} "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            )
        else:
            await conn.execute(
                text(
                    "CREATE FUNCTION audit_log_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF {when} THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$"
                )
            )
            await conn.execute(
                text(
                    "CREATE TRIGGER audit_log_full BEFORE INSERT ON audit_log "
                    "FOR EACH ROW EXECUTE FUNCTION audit_log_full()"
                )
            )


async def accept_audit_rows(gf: Gridflow) -> None:
    async with gf.db.engine.begin() as conn:
        await conn.execute(
            text(
                "DROP TRIGGER audit_log_full"
                if gf.db.engine.dialect.name == "sqlite"
                else "DROP TRIGGER audit_log_full ON audit_log"
            )
        )


async def settle(gf: Gridflow) -> int:
    """What the API does at start-up and every 30 s, for every call asked until now."""
    return await resolve(client=gf.client, db=gf.db, asked_before=audit.now())


async def test_an_action_the_audit_cannot_hold_is_not_taken(gf: Gridflow) -> None:
    await gf.headers(WANG)  # logged in while the table took rows
    await refuse_audit_rows(gf)
    key = str(uuid.uuid4())
    with capture_logs() as logs:
        response = await gf.submit(token=WANG, key=key)
    assert response.status_code == 503, response.text
    assert "audit log" in response.json()["error"]["message"]
    assert response.headers["Retry-After"]
    assert [e["log_level"] for e in logs if e["event"] == "audit intent write failed"] == ["error"]
    await accept_audit_rows(gf)
    # Nothing had been started: the same key now makes the ticket (201, not a replay's 200).
    assert (await gf.submit(token=WANG, key=key)).status_code == 201


async def test_a_failed_final_row_does_not_fail_the_action_and_is_settled(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    await gf.headers(CGJ)
    await refuse_audit_rows(gf, when="NEW.outcome <> 'pending'")  # intents still go in
    with capture_logs() as logs:
        response = await gf.submit(token=WANG)
        claimed = await gf.act(ticket_id, "claim", CGJ)
        again = await gf.act(ticket_id, "claim", CGJ)
    assert (response.status_code, claimed.status_code, again.status_code) == (201, 200, 409)
    failures = [e for e in logs if e["event"] == "audit write failed"]
    assert [e["log_level"] for e in failures] == ["error"] * 3
    assert (failures[0]["actor_id"], failures[0]["route"], failures[0]["status"]) == (
        "wang",
        "/api/v1/incidents",
        201,
    )
    assert failures[0]["ticket_id"] == response.json()["ticket_id"]
    assert failures[0]["request_id"] == response.headers["x-request-id"]
    ids = {r.headers["x-request-id"] for r in (response, claimed, again)}
    assert {r["outcome"] for r in await rows(gf) if r["request_id"] in ids} == {"pending"}
    # The intents are in the table; the workflows' record says how each call ended.
    await accept_audit_rows(gf)
    assert await settle(gf) == 3
    ended = {r["request_id"]: r for r in await rows(gf) if r["settled"]}
    submitted = ended[response.headers["x-request-id"]]
    assert (submitted["outcome"], submitted["ticket_id"]) == ("ok", response.json()["ticket_id"])
    [claim] = [e for e in claimed.json()["timeline"] if e["action"] == "claim"]
    assert (
        ended[claimed.headers["x-request-id"]]["outcome"],
        ended[claimed.headers["x-request-id"]]["seq"],
    ) == ("ok", claim["seq"])
    refused = ended[again.headers["x-request-id"]]  # refused by the validator: nothing applied
    assert (refused["outcome"], refused["seq"]) == ("failed", None)
    assert "not applied" in refused["error"]
    assert await settle(gf) == 0  # settled once


async def test_an_action_answered_503_that_the_workflow_applied_is_settled_applied(
    temporal_client: Client, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = Settings(task_queue=f"tq-{uuid.uuid4()}", database_url=db.url, data_dir=tmp_path)
    async with running_app(temporal_client, db, config) as http:
        gf = Gridflow(http=http, db=db, config=config, client=temporal_client)
        async with build_worker(temporal_client, db=db, config=config):
            ticket_id = await gf.new_ticket()
            await wait_for_status(gf, ticket_id, "dispatched")
        # No worker now: Temporal takes the update and holds it; the API stops waiting first.
        monkeypatch.setattr(tickets_service, "UPDATE_TIMEOUT", timedelta(seconds=1))
        claimed = await gf.act(ticket_id, "claim", CGJ)
        assert claimed.status_code == 503, claimed.text
        row = await the_row(gf, claimed)
        assert (row["status"], row["outcome"], row["settled"]) == (503, "unknown", None)
        assert await settle(gf) == 0  # under way: not settled while the workflow cannot tell
        async with build_worker(temporal_client, db=db, config=config):
            await wait_for_status(gf, ticket_id, "claimed")  # it was applied after all
            assert await settle(gf) == 1
        ticket = await gf.ticket(ticket_id)
    [claim] = [e for e in ticket["timeline"] if e["action"] == "claim"]
    calls = await rows(gf, call_id=row["call_id"])
    assert [(r["outcome"], r["status"], r["seq"]) for r in calls] == [
        ("pending", 0, None),
        ("unknown", 503, None),
        ("ok", 503, claim["seq"]),
    ]
    assert calls[-1]["actor_id"] == "zhao" and calls[-1]["request_id"] == row["request_id"]
    assert not [r for r in await rows(gf, ticket_id=ticket_id) if r["outcome"] == "failed"]


# --- append-only, in the database itself ---------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE audit_log SET status = 200, outcome = 'ok' WHERE request_id = :r",
        "UPDATE audit_log SET actor_id = 'someone-else'",
        "DELETE FROM audit_log WHERE request_id = :r",
        "DELETE FROM audit_log",
    ],
)
async def test_the_database_refuses_to_change_the_log(empty_db: Database, change: str) -> None:
    request_id = uuid.uuid4().hex
    async with empty_db.session() as session:
        await audit.append(
            session=session,
            entry=audit.AuditEntry(
                at=audit.now(),
                actor_id="zhao",
                role="department_staff",
                auth="jwt",
                method="POST",
                route="/api/v1/tickets/{ticket_id}/claim",
                ticket_id="GF-1",
                status=403,
                outcome="refused",
                error="not yours",
                request_id=request_id,
            ),
        )
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
