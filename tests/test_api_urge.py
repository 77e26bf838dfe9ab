"""催办 through HTTP: a supervisor's message reaches the department's staff in-app, is on the
timeline and counted apart from the clock's reminders; the wrong people and states are refused."""

import uuid

from sqlmodel import col, select

from domain import demo_city
from domain.notices import event_id
from readmodel.notices.tables import NotificationDelivery
from readmodel.tickets.tables import Notification
from tests.api_fixtures import ADMIN, CGJ, SENSOR, SUPERVISOR, WANG, WU, Gridflow, gf  # noqa: F401
from tests.factories import MANHOLE, OTHER
from tests.test_api_lifecycle import wait_for_status

FAR = next(g for g in demo_city.GRIDS if g.street == demo_city.DISTRICT + "002")  # not wu's


async def dispatched(gf: Gridflow, **body: object) -> str:
    ticket_id = await gf.new_ticket(**body)
    await wait_for_status(gf, ticket_id, "dispatched")
    return ticket_id


async def test_an_urge_is_on_the_timeline_counted_apart_and_reaches_the_department(
    gf: Gridflow,
) -> None:
    ticket_id = await dispatched(gf)
    first = await gf.act(ticket_id, "urge", WU, {"message": "  今天必须到场 on site today  "})
    assert first.status_code == 200, first.text
    second = await gf.act(ticket_id, "urge", SUPERVISOR, {"message": "再次催办 again"})
    assert second.status_code == 200, second.text
    ticket = second.json()
    assert ticket["status"] == "dispatched"  # the state and the clock stay
    assert (ticket["urge_count"], ticket["reminder_count"]) == (2, 0)
    urges = [e for e in ticket["timeline"] if e["action"] == "urge"]
    assert [(e["actor_id"], e["actor_role"], e["reason"]) for e in urges] == [
        ("wu", "supervisor", "今天必须到场 on site today"),
        ("chen", "supervisor", "再次催办 again"),
    ]
    assert [e["data"] for e in urges] == [
        {"message": "今天必须到场 on site today", "count": 1},
        {"message": "再次催办 again", "count": 2},
    ]
    inbox = (await gf.call("GET", "/inbox", CGJ)).json()["items"]
    assert next(t for t in inbox if t["ticket_id"] == ticket_id)["urge_count"] == 2

    seq = urges[0]["seq"]
    async with gf.db.session() as session:
        notice = (
            await session.exec(
                select(Notification).where(
                    col(Notification.ticket_id) == ticket_id, col(Notification.kind) == "urge"
                )
            )
        ).all()
        deliveries = (
            await session.exec(
                select(NotificationDelivery).where(
                    col(NotificationDelivery.event_id) == event_id(ticket_id, seq, "urge", "cgj")
                )
            )
        ).all()
    assert [(n.seq, n.target, n.data) for n in notice] == [
        (seq, "cgj", {"message": "今天必须到场 on site today"}),
        (seq + 1, "cgj", {"message": "再次催办 again"}),
    ]
    assert [(d.channel_id, d.recipient_id, d.status) for d in deliveries] == [
        ("in-app", "zhao", "sent")
    ]
    audit = (await gf.call("GET", f"/admin/audit?ticket_id={ticket_id}", ADMIN)).json()["items"]
    assert any(r["route"].endswith("/urge") and r["outcome"] == "ok" for r in audit)


async def test_only_a_supervisor_of_the_area_urges_a_ticket_in_a_department(gf: Gridflow) -> None:
    ticket_id = await dispatched(gf)
    for token in (WANG, CGJ, ADMIN):
        refused = await gf.act(ticket_id, "urge", token, {"message": "快 hurry"})
        assert refused.status_code == 403, (token, refused.text)
    for body in ({"message": ""}, {"message": "   "}, {"message": "x" * 501}, {}):
        bad = await gf.act(ticket_id, "urge", SUPERVISOR, body)
        assert bad.status_code == 422, (body, bad.text)
        assert bad.json()["error"]["fields"][0]["field"] == "message"

    far = await gf.new_ticket(
        token=SENSOR,
        category=MANHOLE,
        lat=FAR.inside.lat,
        lon=FAR.inside.lon,
        device_id=f"well-{uuid.uuid4().hex[:6]}",
    )
    await wait_for_status(gf, far, "dispatched")
    outside = await gf.act(far, "urge", WU, {"message": "快 hurry"})
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "outside_area"
    assert (await gf.act(far, "urge", SUPERVISOR, {"message": "快 hurry"})).status_code == 200

    cancelled = await gf.act(
        ticket_id, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "无效 invalid"}
    )
    assert cancelled.status_code == 200, cancelled.text
    closed = await gf.act(ticket_id, "urge", SUPERVISOR, {"message": "快 hurry"})
    assert closed.status_code == 409, closed.text
    assert (await gf.ticket(ticket_id))["urge_count"] == 0

    queued = await gf.new_ticket(category=OTHER)  # no rule: no department to urge yet
    await wait_for_status(gf, queued, "manual_dispatch")
    unrouted = await gf.act(queued, "urge", SUPERVISOR, {"message": "快 hurry"})
    assert unrouted.status_code == 409, unrouted.text
    assert unrouted.json()["error"]["details"]["allowed_states"] == [
        "claimed",
        "dispatched",
        "rectifying",
        "verifying",
    ]
