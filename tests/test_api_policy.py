"""Admins change the deadline policy without a redeploy; everyone reads their notifications."""

from tests.api_fixtures import CGJ, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.factories import STREETLIGHT
from tests.test_api_lifecycle import wait_for_status

ADMIN = "demo-admin"  # deadline rule writes are the admin's


async def test_policy_rules_are_data(gf: Gridflow) -> None:
    assert (await gf.call("GET", "/admin/deadline-rules", CGJ)).status_code == 403
    shown = (await gf.call("GET", "/admin/deadline-rules", SUPERVISOR)).json()
    assert shown["warning_fractions"] == [0.5, 0.8]
    assert shown["escalation_delays_hours"] == [4, 24, 48]
    assert any(r["stage"] == "verify" and r["amount"] == 3 for r in shown["defaults"])

    bad = await gf.call(
        "POST",
        "/admin/deadline-rules",
        ADMIN,
        json={"stage": "claim", "amount": 2, "unit": "working_days", "category": "no-such"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "category"
    for body, field in (
        ({"stage": "lunch", "amount": 1, "unit": "hours"}, "stage"),
        ({"stage": "claim", "amount": 0, "unit": "hours"}, "amount"),
        ({"stage": "claim", "amount": 1, "unit": "weeks"}, "unit"),
    ):
        response = await gf.call("POST", "/admin/deadline-rules", ADMIN, json=body)
        assert response.status_code == 422 and field in response.text, body

    added = await gf.call(
        "POST",
        "/admin/deadline-rules",
        ADMIN,
        json={"stage": "claim", "amount": 2, "unit": "working_hours", "category": STREETLIGHT},
    )
    assert added.status_code == 201, added.text
    rule_id = added.json()["id"]
    ticket_id = await gf.new_ticket(category=STREETLIGHT)
    ticket = await wait_for_status(gf, ticket_id, "dispatched")
    claim = next(d for d in ticket["deadlines"] if d["stage"] == "claim")
    assert (claim["amount"], claim["unit"]) == (2, "working_hours")

    assert (
        await gf.call("DELETE", f"/admin/deadline-rules/{rule_id}", SUPERVISOR)
    ).status_code == 403
    assert (await gf.call("DELETE", f"/admin/deadline-rules/{rule_id}", ADMIN)).status_code == 204
    assert (await gf.call("DELETE", f"/admin/deadline-rules/{rule_id}", ADMIN)).status_code == 404
    other = await wait_for_status(gf, await gf.new_ticket(category=STREETLIGHT), "dispatched")
    claim = next(d for d in other["deadlines"] if d["stage"] == "claim")
    assert (claim["amount"], claim["unit"]) == (1, "working_days")
    # The running ticket keeps the deadline it was given.
    again = await gf.ticket(ticket_id)
    assert next(d for d in again["deadlines"] if d["stage"] == "claim")["unit"] == "working_hours"


async def test_notifications_are_scoped_to_who_reads_them(gf: Gridflow) -> None:
    from domain.alarms import Notice
    from readmodel.tickets.projection import add_notifications
    from tests.factories import GRID

    async with gf.db.session() as session:
        await add_notifications(
            session=session,
            ticket_id="GF-N1",
            seq=5,
            notices=[
                Notice(kind="breach", target="cgj"),
                Notice(kind="escalate", target=GRID.code, level=1),
                Notice(kind="escalate", target=GRID.code[:12], level=2),
            ],
        )
        await add_notifications(
            session=session, ticket_id="GF-N1", seq=5, notices=[Notice(kind="breach", target="cgj")]
        )  # a retried activity writes nothing twice
    everything = (await gf.call("GET", "/notifications", SUPERVISOR)).json()
    assert everything["total"] == 3
    assert [n["target"] for n in (await gf.call("GET", "/notifications", CGJ)).json()["items"]] == [
        "cgj"
    ]
    mine = (await gf.call("GET", "/notifications", WANG)).json()["items"]
    assert [(n["kind"], n["level"]) for n in mine] == [("escalate", 1)]
    assert (await gf.call("GET", "/notifications", None)).status_code == 401


async def test_the_policy_preview_dates_each_stage_of_a_category(gf: Gridflow) -> None:
    # Tuesday 30 September 2025 16:00 in Shanghai: National Day runs 1-8 October, Saturday 11th
    # is worked (调休); a table rule gives street lights a 5-working-day handling limit.
    rule = {"stage": "handle", "amount": 5, "unit": "working_days", "category": STREETLIGHT}
    assert (await gf.call("POST", "/admin/deadline-rules", ADMIN, json=rule)).status_code == 201
    params = {"category": STREETLIGHT, "start": "2025-09-30T16:00:00+08:00"}
    shown = await gf.call("GET", "/admin/deadline-rules/preview", SUPERVISOR, params=params)
    assert shown.status_code == 200, shown.text
    stages = {s["stage"]: s for s in shown.json()["stages"]}
    assert (stages["handle"]["amount"], stages["handle"]["from_table"]) == (5, True)
    # 9, 10, (worked) Saturday 11, 13, 14 October
    assert stages["handle"]["due_at"] == "2025-10-14T16:00:00+08:00"
    assert (stages["claim"]["amount"], stages["claim"]["from_table"]) == (1, False)
    assert stages["claim"]["due_at"] == "2025-10-09T16:00:00+08:00"
    urgent = await gf.call(
        "GET", "/admin/deadline-rules/preview", SUPERVISOR, params=params | {"urgency": "urgent"}
    )
    claim = next(s for s in urgent.json()["stages"] if s["stage"] == "claim")
    assert (claim["unit"], claim["due_at"]) == ("hours", "2025-09-30T17:00:00+08:00")
    unknown = await gf.call(
        "GET", "/admin/deadline-rules/preview", SUPERVISOR, params={"category": "Z9999"}
    )
    assert (
        unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "category"
    )
    assert (
        await gf.call("GET", "/admin/deadline-rules/preview", CGJ, params=params)
    ).status_code == 403
