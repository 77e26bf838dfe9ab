"""The bell's API: a notice reaches the people its subscriptions name, each reads and marks only
their own, machines have none; a notice's deliveries are for supervisors over its place and
admins. Notices are published as the worker publishes them (tests/notice_helpers.py)."""

from typing import Any

from domain.notices import EventKind
from tests.api_fixtures import ADMIN, CGJ, SENSOR, SUPERVISOR, WANG, WU, ZJJ, Gridflow, gf  # noqa: F401
from tests.notice_helpers import FAR_GRID, delivery_ids, notice, publish


async def inbox(gf: Gridflow, token: str, **params: Any) -> dict[str, Any]:
    response = await gf.call("GET", "/my/notices", token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def unread(gf: Gridflow, token: str) -> int:
    response = await gf.call("GET", "/my/notices/unread-count", token)
    assert response.status_code == 200, response.text
    return response.json()["unread"]


async def test_a_breach_reaches_the_department_and_the_supervisor_over_its_place(
    gf: Gridflow,
) -> None:
    breach = notice(EventKind.BREACH)
    report = notice(
        EventKind.DAILY_REPORT,
        target="command-centre",
        ticket_id=None,
        department=None,
        grid=None,
        stage=None,
        due_at=None,
        seq=0,
        data={
            "title": "每日销号通报 3月2日",
            "link": gf.config.public_url + "/app/supervisor/charts",
        },
    )
    sly = notice(EventKind.CALENDAR_ALERT, target="command-centre", ticket_id=None,
                 data={"link": "javascript:alert(1)"})  # fmt: skip
    await publish(gf.db, breach, report, sly)

    [zhao] = (await inbox(gf, CGJ))["items"]
    assert zhao["event_id"] == breach.event_id and zhao["kind"] == "breach"
    assert zhao["title"] == "超期告警" and zhao["ticket_id"] == breach.ticket_id
    assert zhao["stage"] == "claim" and zhao["read_at"] is None
    assert zhao["link"] == f"/app/department/tickets/{breach.ticket_id}"
    [wu] = (await inbox(gf, WU))["items"]  # the street's supervisor, nearest over the grid
    assert wu["link"] == f"/app/supervisor/tickets/{breach.ticket_id}"
    assert await unread(gf, CGJ) == 1 and await unread(gf, WU) == 1
    for outsider in (ZJJ, WANG, ADMIN):
        assert (await inbox(gf, outsider))["total"] == 0
        assert await unread(gf, outsider) == 0

    centre = (await inbox(gf, SUPERVISOR))["items"]  # newest first; not the street's breach
    assert [n["kind"] for n in centre] == ["calendar_alert", "daily_report"]
    assert centre[1]["title"] == "每日销号通报 3月2日"
    assert centre[1]["link"] == "/app/supervisor/charts"  # this site's page, as a path
    assert centre[0]["link"] is None  # never a script or another site
    # The outbox list takes notices that are no ticket's (a report) too.
    outbox = await gf.call("GET", "/notifications", SUPERVISOR)
    assert outbox.status_code == 200, outbox.text
    assert {n["event_id"] for n in outbox.json()["items"]} >= {report.event_id, breach.event_id}


async def test_each_person_marks_only_their_own_notices_read(gf: Gridflow) -> None:
    breach = notice(EventKind.BREACH)
    await publish(gf.db, breach)
    ids = await delivery_ids(gf.db, breach)
    zhaos, wus = ids["zhao"], ids["wu"]

    # Someone else's notice is left as it is, and the answer does not say it exists.
    response = await gf.call("POST", "/my/notices/read", WU, json={"ids": [zhaos, 10**9]})
    assert response.status_code == 200, response.text
    assert response.json() == {"marked": 0, "unread": 1}
    assert await unread(gf, CGJ) == 1

    response = await gf.call("POST", "/my/notices/read", CGJ, json={"ids": [zhaos]})
    assert response.json() == {"marked": 1, "unread": 0}
    assert (await inbox(gf, CGJ, unread="true"))["total"] == 0
    [read] = (await inbox(gf, CGJ))["items"]
    assert read["id"] == zhaos and read["read_at"] is not None
    again = await gf.call("POST", "/my/notices/read", CGJ, json={"ids": [zhaos]})
    assert again.json() == {"marked": 0, "unread": 0}

    await publish(gf.db, notice(EventKind.WARNING), notice(EventKind.WARNING))
    assert await unread(gf, CGJ) == 2
    assert [n["kind"] for n in (await inbox(gf, CGJ, unread="true"))["items"]] == ["warning"] * 2
    everything = await gf.call("POST", "/my/notices/read-all", CGJ)
    assert everything.json() == {"marked": 2, "unread": 0}
    assert await unread(gf, WU) == 1  # wu's breach is wu's to mark
    assert (await inbox(gf, WU))["items"][0]["id"] == wus

    bads: list[dict[str, Any]] = [
        {"ids": []},
        {"ids": ["one"]},
        {"ids": [2**63]},  # no database's integer
        {},
        {"ids": [1], "all": True},
    ]
    for bad in bads:
        refused = await gf.call("POST", "/my/notices/read", CGJ, json=bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error"]["fields"]


async def test_machines_and_api_keys_have_no_inbox(gf: Gridflow) -> None:
    sensor = await gf.call("GET", "/my/notices/unread-count", SENSOR)
    assert sensor.status_code == 403, sensor.text
    made = await gf.call(
        "POST",
        "/admin/api-keys",
        ADMIN,
        json={"user_id": "wu", "label": "wu's dashboard", "scopes": ["read_only"]},
    )
    assert made.status_code == 201, made.text
    key = {"X-API-Key": made.json()["key"]}
    for path in ("/my/notices", "/my/notices/unread-count"):
        refused = await gf.http.get(f"/api/v1{path}", headers=key)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "not_a_person"


async def test_a_notices_deliveries_are_for_supervisors_over_its_place_and_admins(
    gf: Gridflow,
) -> None:
    home, far = notice(EventKind.BREACH), notice(EventKind.BREACH, grid=FAR_GRID)
    await publish(gf.db, home, far)
    changed = await gf.call("PATCH", "/admin/users/zhao", ADMIN, json={"email": "zhao@cgj.gov.cn"})
    assert changed.status_code == 200, changed.text

    for token in (WU, SUPERVISOR, ADMIN):
        response = await gf.call("GET", f"/notifications/{home.event_id}/deliveries", token)
        assert response.status_code == 200, (token, response.text)
        page = response.json()
        assert {(d["channel_id"], d["recipient_id"]) for d in page["items"]} == {
            ("in-app", "zhao"),
            ("in-app", "wu"),
        }
        assert all(d["status"] == "sent" and d["attempts"] == 1 for d in page["items"])
        assert all(d["kind"] == "breach" for d in page["items"])
        assert "zhao@cgj.gov.cn" not in response.text  # a user id, never an address

    outside = await gf.call("GET", f"/notifications/{far.event_id}/deliveries", WU)
    assert outside.status_code == 403, outside.text
    centre = await gf.call("GET", f"/notifications/{far.event_id}/deliveries", SUPERVISOR)
    assert centre.status_code == 200 and centre.json()["total"] >= 1
    for token in (CGJ, WANG):
        refused = await gf.call("GET", f"/notifications/{home.event_id}/deliveries", token)
        assert refused.status_code == 403, refused.text
    unknown = await gf.call("GET", "/notifications/no-such-event/deliveries", ADMIN)
    assert unknown.status_code == 404, unknown.text
