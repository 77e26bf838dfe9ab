"""督办单 through HTTP: opened by a supervisor on tickets one department holds, listed for the
supervisors of its place and for that department only, answered by the department, closed by
the supervisor; bad tickets, bad input and the wrong people refused with the field named."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from domain import demo_city
from readmodel.notices.tables import NotificationDelivery
from readmodel.tickets.tables import Notification
from tests.api_fixtures import CGJ, SENSOR, SUPERVISOR, WANG, WU, ZJJ, Gridflow, gf  # noqa: F401
from tests.factories import ILLEGAL_CONSTRUCTION, MANHOLE, OTHER
from tests.test_api_lifecycle import wait_for_status
from tests.test_audit_log import accept_audit_rows, refuse_audit_rows, rows, settle
from tests.test_audit_sensors_subjects import ended

FAR = next(g for g in demo_city.GRIDS if g.street == demo_city.DISTRICT + "002")  # not wu's


async def held(gf: Gridflow, **body: Any) -> str:
    ticket_id = await gf.new_ticket(**body)
    await wait_for_status(gf, ticket_id, "dispatched")
    return ticket_id


def ids(page: dict[str, Any]) -> list[str]:
    return [o["order_id"] for o in page["items"]]


async def listed(gf: Gridflow, token: str, query: str = "") -> list[str]:
    response = await gf.call("GET", f"/orders{query}", token)
    assert response.status_code == 200, response.text
    return ids(response.json())


async def test_an_order_is_opened_answered_and_closed_by_the_right_people(gf: Gridflow) -> None:
    first, second = await held(gf), await held(gf)
    opened = await gf.call(
        "POST",
        "/orders",
        WU,
        json={
            "tickets": [first, second],
            "instruction": "限三日内清运并回复 clear within three days",
            "reply_working_days": 3,
        },
    )
    assert opened.status_code == 201, opened.text
    order = opened.json()
    order_id = order["order_id"]
    assert (order["status"], order["department"], order["tickets"]) == (
        "open",
        "cgj",
        [first, second],
    )
    assert order["reply_due_at"] > datetime.now(UTC).isoformat()
    assert [e["kind"] for e in order["timeline"]] == ["opened", "planned"]

    assert order_id in await listed(gf, WU)
    assert order_id in await listed(gf, SUPERVISOR)
    assert order_id in await listed(gf, CGJ, "?status=open")
    assert order_id not in await listed(gf, CGJ, "?status=answered")
    assert order_id not in await listed(gf, ZJJ)
    assert (await gf.call("GET", "/orders", WANG)).status_code == 403
    assert (await gf.call("GET", "/orders?status=late", CGJ)).json()["error"]["fields"][0][
        "field"
    ] == "status"

    assert (await gf.call("GET", f"/orders/{order_id}", CGJ)).json()["order_id"] == order_id
    for token, status in ((ZJJ, 403), (WANG, 403)):
        assert (await gf.call("GET", f"/orders/{order_id}", token)).status_code == status
    for unknown in ("DB-000000000000", "nope", "order-" + order_id):
        assert (await gf.call("GET", f"/orders/{unknown}", CGJ)).status_code == 404

    async with gf.db.session() as session:
        told = (
            await session.exec(
                select(NotificationDelivery.recipient_id).where(
                    col(NotificationDelivery.event_id).in_(
                        select(Notification.event_id).where(col(Notification.kind) == "supervise")
                    )
                )
            )
        ).all()
    assert "zhao" in told  # cgj's staff on duty, in-app

    answer = {"done": "已清运两处 both cleared", "finish_by": str(date.today() + timedelta(days=5))}
    assert (
        await gf.call("POST", f"/orders/{order_id}/answer", ZJJ, json=answer)
    ).status_code == 403
    assert (
        await gf.call("POST", f"/orders/{order_id}/answer", SUPERVISOR, json=answer)
    ).status_code == 403
    past = await gf.call(
        "POST", f"/orders/{order_id}/answer", CGJ, json=answer | {"finish_by": "2020-01-01"}
    )
    assert past.status_code == 422 and past.json()["error"]["fields"][0]["field"] == "finish_by"
    blank = await gf.call("POST", f"/orders/{order_id}/answer", CGJ, json=answer | {"done": " "})
    assert blank.status_code == 422 and blank.json()["error"]["fields"][0]["field"] == "done"
    answered = await gf.call("POST", f"/orders/{order_id}/answer", CGJ, json=answer)
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["answered_by"]) == ("answered", "zhao")
    again = await gf.call("POST", f"/orders/{order_id}/answer", CGJ, json=answer)
    assert again.status_code == 409, again.text
    assert order_id in await listed(gf, CGJ, "?status=answered")

    assert (await gf.call("POST", f"/orders/{order_id}/close", CGJ)).status_code == 403
    closed = await gf.call("POST", f"/orders/{order_id}/close", WU, json={"note": "已落实"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["close_note"]) == ("closed", "已落实")
    assert (await gf.call("POST", f"/orders/{order_id}/close", WU)).status_code == 409


async def test_an_order_on_bad_tickets_or_with_bad_input_is_refused(gf: Gridflow) -> None:
    cgj, zjj = await held(gf), await held(gf, category=ILLEGAL_CONSTRUCTION)
    queued = await gf.new_ticket(category=OTHER)
    await wait_for_status(gf, queued, "manual_dispatch")
    far = await held(
        gf,
        token=SENSOR,
        category=MANHOLE,
        lat=FAR.inside.lat,
        lon=FAR.inside.lon,
        device_id=f"well-{uuid.uuid4().hex[:6]}",
    )
    good = {"tickets": [cgj], "instruction": "请回复 reply"}

    async def refused(token: str, body: dict[str, Any]) -> tuple[int, str | None, str]:
        response = await gf.call("POST", "/orders", token, json=body)
        error = response.json()["error"]
        fields = error.get("fields") or [{}]
        return response.status_code, fields[0].get("field"), error["message"]

    for body, field in (
        (good | {"tickets": [cgj, zjj]}, "tickets"),  # two departments
        (good | {"tickets": ["GF-000000000000"]}, "tickets"),
        (good | {"tickets": ["nope"]}, "tickets"),
        (good | {"tickets": [queued]}, "tickets"),  # no department holds it
        (good | {"tickets": [cgj, cgj]}, "tickets"),
        (good | {"tickets": []}, "tickets"),
        (good | {"instruction": "  "}, "instruction"),
        (good | {"reply_working_days": 0}, "reply_working_days"),
        (good | {"reply_working_days": 11}, "reply_working_days"),
        (good | {"reply_working_days": "2"}, "reply_working_days"),
    ):
        status, named, message = await refused(WU, body)
        assert (status, named) == (422, field), (body, message)
    status, _, message = await refused(WU, good | {"tickets": [cgj, zjj]})
    assert "cgj" in message and "zjj" in message
    assert (await refused(WU, good | {"tickets": [far]}))[0] == 403  # outside wu's street
    assert (await refused(CGJ, good))[0] == 403
    assert (await refused(WANG, {}))[0] == 403  # who before what
    both = await gf.call("POST", "/orders", SUPERVISOR, json=good | {"tickets": [far, cgj]})
    assert both.status_code == 201, both.text
    assert both.json()["place"] == demo_city.DISTRICT  # two streets: the district's order
    assert both.json()["order_id"] not in await listed(gf, WU)


async def test_order_calls_whose_final_audit_row_is_lost_are_settled_from_the_workflow(
    gf: Gridflow,
) -> None:
    ticket_id = await held(gf)
    for token in (WU, CGJ):
        await gf.headers(token)  # logged in while the table takes rows
    await refuse_audit_rows(gf, when="NEW.outcome <> 'pending'")
    opened = await gf.call(
        "POST", "/orders", WU, json={"tickets": [ticket_id], "instruction": "请回复 reply"}
    )
    assert opened.status_code == 201, opened.text
    order_id = opened.json()["order_id"]
    answer = {"done": "已处置 done", "finish_by": str(date.today() + timedelta(days=2))}
    answered = await gf.call("POST", f"/orders/{order_id}/answer", CGJ, json=answer)
    assert answered.status_code == 200, answered.text
    await accept_audit_rows(gf)

    intents = await rows(gf, ticket_id=f"order-{order_id}", outcome="pending")
    assert [(r["call"], r["route"]) for r in intents] == [
        ("start", "/api/v1/orders"),
        ("update", "/api/v1/orders/{order_id}/answer"),
    ]
    assert await settle(gf) == 2
    found = await rows(gf)
    assert ended(found, opened)["outcome"] == "ok"
    applied = ended(found, answered)
    assert applied["outcome"] == "ok" and "applied, by the order's workflow" in applied["error"]
