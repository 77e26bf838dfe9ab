"""The category catalogue and the routing rules over HTTP: search, admin changes (supervisors),
preview, intake's default urgency, and a rule change while tickets are in flight."""

from datetime import timedelta

import httpx

from domain import demo_city
from readmodel.reference.routing_store import today
from tests.api_fixtures import CGJ, SUPERVISOR, WANG, ZJJ, Gridflow, gf  # noqa: F401
from tests.factories import (
    FIRE_PASSAGE,
    GARBAGE,
    GARBAGE_GRID_RULE,
    GARBAGE_RULE,
    GRID,
    OTHER,
)
from tests.test_api_lifecycle import wait_for_status

RULES = "/admin/routing-rules"
ADMIN = "demo-admin"  # routing rule writes are the admin's


def fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [f["field"] for f in response.json()["error"]["fields"]]


async def test_the_catalogue_is_searchable(gf: Gridflow) -> None:
    everything = (await gf.call("GET", "/categories", WANG)).json()
    assert len(everything) == len(demo_city.CATEGORIES) >= 40
    garbage = next(c for c in everything if c["code"] == GARBAGE)
    assert (
        garbage
        | {
            "name_zh": "暴露垃圾",
            "kind": "event",
            "class_code": "E01",
            "class_name_zh": "市容环境",
            "default_department": "cgj",
            "urgency": "normal",
            "duplicate_window_hours": 72,
        }
        == garbage
    )
    assert "duplicate_radius_m" in garbage  # 50 in the demo; the tests' db switches it off
    for q in ("暴露垃圾", "exposed GARBAGE", "e0101"):
        found = (await gf.call("GET", "/categories", WANG, params={"q": q})).json()
        assert [c["code"] for c in found] == [GARBAGE], q
    street_order = (await gf.call("GET", "/categories", WANG, params={"q": "街面秩序"})).json()
    assert {c["class_code"] for c in street_order} == {"E04"} and len(street_order) >= 5
    components = (await gf.call("GET", "/categories", WANG, params={"kind": "component"})).json()
    assert components and all(c["kind"] == "component" for c in components)
    assert (await gf.call("GET", "/categories", WANG, params={"kind": "thing"})).status_code == 422
    classes = (await gf.call("GET", "/category-classes", WANG)).json()
    assert [c["code"] for c in classes] == sorted(demo_city.CLASSES)
    assert (await gf.call("GET", "/categories", None)).status_code == 401


async def test_search_text_is_text_not_a_pattern(gf: Gridflow) -> None:
    """`%`, `_` and `\\` are searched for as themselves (LIKE wildcards and escapes, on both
    engines), so `?q=%` finds only names that contain a percent sign, not every category."""

    def literally(needle: str) -> list[str]:
        return sorted(
            code
            for code, sub in demo_city.CATEGORIES.items()
            if any(
                needle.lower() in text.lower()
                for text in (
                    code,
                    sub.name_zh,
                    sub.name_en,
                    sub.class_code,
                    demo_city.CLASSES[sub.class_code].name_zh,
                    demo_city.CLASSES[sub.class_code].name_en,
                )
            )
        )

    for q in (
        "%",
        "_",
        "\\",
        "%垃圾",
        "E_1",
        "\\%",
        "/",
        "/%",
        "exposed%garbage",
        "garbage",
        "(dispatched",
    ):
        found = (await gf.call("GET", "/categories", WANG, params={"q": q})).json()
        assert [c["code"] for c in found] == literally(q), q
    assert literally("garbage") and literally("(dispatched") == [OTHER]  # a search still finds


async def test_intake_takes_the_categorys_urgency_unless_told(gf: Gridflow) -> None:
    fire = await wait_for_status(gf, await gf.new_ticket(category=FIRE_PASSAGE), "dispatched")
    assert (fire["urgency"], fire["department"]) == ("urgent", "xfj")
    claim = next(d for d in fire["deadlines"] if d["stage"] == "claim")
    assert (claim["amount"], claim["unit"]) == (1, "hours")  # urgent: natural hours
    told = await gf.ticket(await gf.new_ticket(category=FIRE_PASSAGE, urgency="normal"))
    assert told["urgency"] == "normal"
    assert (await gf.ticket(await gf.new_ticket(category=GARBAGE)))["urgency"] == "normal"
    # the same Idempotency-Key with the default urgency is the same report
    first = await gf.submit(category=FIRE_PASSAGE, key="fire-key-0001")
    again = await gf.submit(category=FIRE_PASSAGE, key="fire-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)


async def test_routing_rules_are_read_by_supervisors_written_by_admins_and_checked(
    gf: Gridflow,
) -> None:
    assert (await gf.call("GET", RULES, CGJ)).status_code == 403
    good = {"category": GARBAGE, "department": "zjj", "area": GRID.street}
    assert (await gf.call("POST", RULES, ZJJ, json=good)).status_code == 403
    assert (await gf.call("DELETE", f"{RULES}/{GARBAGE_RULE}", WANG)).status_code == 403
    assert (await gf.call("POST", RULES, SUPERVISOR, json=good)).status_code == 403

    listed = (await gf.call("GET", RULES, SUPERVISOR)).json()
    assert len(listed) == len(demo_city.RULES)
    grid_rule = next(r for r in listed if r["rule_id"] == GARBAGE_GRID_RULE)
    assert (grid_rule["area_level"], grid_rule["status"], grid_rule["department"]) == (
        "grid",
        "in_force",
        "bs-street",
    )

    tomorrow, yesterday = today() + timedelta(days=1), today() - timedelta(days=1)
    for body, field in (
        (good | {"department": "nobody"}, "department"),
        (good | {"category": "E9999"}, "category"),
        (good | {"area": "999999"}, "area"),
        (
            good | {"effective_from": tomorrow.isoformat(), "effective_to": today().isoformat()},
            "effective_to",
        ),
        (good | {"effective_from": yesterday.isoformat()}, "effective_from"),
        (good | {"rule_id": "has space"}, "rule_id"),
        (good | {"colour": "red"}, "colour"),
        ({"department": "zjj"}, "category"),
    ):
        assert field in fields(await gf.call("POST", RULES, ADMIN, json=body)), body
    assert fields(
        await gf.call("PUT", f"{RULES}/{GARBAGE_RULE}", ADMIN, json={"department": "nobody"})
    ) == ["department"]

    created = await gf.call("POST", RULES, ADMIN, json=good | {"priority": 2})
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["rule_id"], rule["version"], rule["area_level"], rule["created_by"]) == (
        f"R-{GARBAGE}-{GRID.street}",
        1,
        "street",
        "admin",
    )
    again = await gf.call("POST", RULES, ADMIN, json=good | {"rule_id": rule["rule_id"]})
    assert again.status_code == 409
    assert (await gf.call("PUT", f"{RULES}/R-nope", ADMIN, json={})).status_code == 404
    assert (await gf.call("DELETE", f"{RULES}/R-nope", ADMIN)).status_code == 404

    ended = await gf.call("DELETE", f"{RULES}/{rule['rule_id']}", ADMIN)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert ended.json()["effective_to"] == today().isoformat()
    assert (await gf.call("DELETE", f"{RULES}/{rule['rule_id']}", ADMIN)).status_code == 409
    current = (await gf.call("GET", RULES, SUPERVISOR, params={"category": GARBAGE})).json()
    history = (
        await gf.call("GET", RULES, SUPERVISOR, params={"category": GARBAGE, "history": "true"})
    ).json()
    assert rule["rule_id"] not in [r["rule_id"] for r in current]
    assert rule["rule_id"] in [r["rule_id"] for r in history]
    versions = (await gf.call("GET", f"{RULES}/{rule['rule_id']}", SUPERVISOR)).json()
    assert [(v["version"], v["ended_by"]) for v in versions] == [(1, "admin")]


async def test_the_routing_preview(gf: Gridflow) -> None:
    beishan = demo_city.GRIDS[0].code
    preview = await gf.call(
        "GET", "/routing/preview", WANG, params={"category": GARBAGE, "grid": beishan}
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["decision"]["department"] == "bs-street"
    assert body["decision"]["rule_id"] == GARBAGE_GRID_RULE
    assert [c["rule_id"] for c in body["candidates"]] == [GARBAGE_GRID_RULE, GARBAGE_RULE]
    nothing = (
        await gf.call("GET", "/routing/preview", WANG, params={"category": OTHER, "grid": beishan})
    ).json()
    assert nothing["decision"]["department"] is None and nothing["candidates"] == []
    before = (
        await gf.call(
            "GET",
            "/routing/preview",
            WANG,
            params={"category": GARBAGE, "grid": beishan, "on": "2023-12-31"},
        )
    ).json()
    assert before["decision"]["department"] is None  # the demo's rules start on 2024-01-01
    assert fields(
        await gf.call("GET", "/routing/preview", WANG, params={"category": "nope", "grid": beishan})
    ) == ["category"]
    assert fields(
        await gf.call("GET", "/routing/preview", WANG, params={"category": GARBAGE, "grid": "1"})
    ) == ["grid"]


async def test_a_rule_change_moves_new_tickets_never_routed_ones(gf: Gridflow) -> None:
    first = await wait_for_status(gf, await gf.new_ticket(), "dispatched")
    assert (first["department"], first["routing"]["rule_id"], first["routing"]["rule_version"]) == (
        "cgj",
        GARBAGE_RULE,
        1,
    )

    changed = await gf.call(
        "PUT",
        f"{RULES}/{GARBAGE_RULE}",
        ADMIN,
        json={"department": "zjj", "note": "住建局接管 handover"},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["version"], changed.json()["department"], changed.json()["area"]) == (
        2,
        "zjj",
        demo_city.DISTRICT,
    )  # the area carried over

    second = await wait_for_status(gf, await gf.new_ticket(), "dispatched")
    assert (
        second["department"],
        second["routing"]["rule_id"],
        second["routing"]["rule_version"],
    ) == ("zjj", GARBAGE_RULE, 2)
    # The ticket routed before the change stays where it went, with the decision it got.
    kept = await gf.ticket(first["ticket_id"])
    assert (kept["department"], kept["routing"]["rule_version"]) == ("cgj", 1)
    assert (await gf.act(first["ticket_id"], "claim", CGJ)).status_code == 200
    assert (await gf.act(second["ticket_id"], "claim", ZJJ)).status_code == 200

    versions = (await gf.call("GET", f"{RULES}/{GARBAGE_RULE}", SUPERVISOR)).json()
    assert [(v["version"], v["status"], v["effective_to"]) for v in versions] == [
        (1, "ended", today().isoformat()),
        (2, "in_force", None),
    ]

    # Ended: the district has no garbage rule left, so new reports wait for a supervisor.
    assert (await gf.call("DELETE", f"{RULES}/{GARBAGE_RULE}", ADMIN)).status_code == 200
    third = await wait_for_status(gf, await gf.new_ticket(), "manual_dispatch")
    assert third["routing"]["rule_id"] is None
    assert (await gf.ticket(second["ticket_id"]))["department"] == "zjj"
