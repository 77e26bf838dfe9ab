"""Subjects through HTTP: registration, the public sunshine lookup, black and reinstated."""

from domain import demo_city
from tests.api_fixtures import (  # noqa: F401
    CGJ,
    LI,
    SENSOR,
    SUPERVISOR,
    WANG,
    WU,
    Gridflow,
    gf,
)

ADMIN = "demo-admin"  # registering subjects is the admin's


async def test_register_lookup_blacken_reinstate(gf: Gridflow) -> None:
    grid = demo_city.GRIDS[2].code
    body = {"code": "SS-T100", "name": "测试网吧", "kind": "shop", "grid": grid}
    assert (await gf.call("POST", "/admin/subjects", CGJ, json=body)).status_code == 403
    assert (await gf.call("POST", "/admin/subjects", SUPERVISOR, json=body)).status_code == 403
    created = await gf.call("POST", "/admin/subjects", ADMIN, json=body)
    assert created.status_code == 201 and created.json()["colour"] == "white"
    assert (await gf.call("POST", "/admin/subjects", ADMIN, json=body)).status_code == 409
    bad = await gf.call(
        "POST", "/admin/subjects", ADMIN, json=body | {"code": "X1", "grid": "0" * 14}
    )
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "grid"

    public = await gf.call("GET", "/public/subjects/SS-T100")  # no token needed
    assert public.json() == {
        "code": "SS-T100",
        "name": "测试网吧",
        "colour": "white",
        "open_problems": 0,
    }
    assert (await gf.call("GET", "/public/subjects/NOPE")).status_code == 404

    assert (
        await gf.call("POST", "/subjects/SS-T100/black", CGJ, json={"reason": "shut_down"})
    ).status_code == 403
    assert (await gf.call("POST", "/subjects/SS-T100/reinstate", SUPERVISOR)).status_code == 409
    black = await gf.call(
        "POST", "/subjects/SS-T100/black", SUPERVISOR, json={"reason": "resumed_without_permission"}
    )
    assert black.status_code == 200, black.text
    assert black.json()["colour"] == "black"
    assert (await gf.call("GET", "/public/subjects/SS-T100")).json()["colour"] == "black"
    back = await gf.call("POST", "/subjects/SS-T100/reinstate", SUPERVISOR)
    assert back.status_code == 200 and back.json()["colour"] == "yellow"  # observed, not white
    detail = (await gf.call("GET", "/subjects/SS-T100", LI)).json()  # li's grid
    assert [e["kind"] for e in detail["state"]["history"]] == ["blackened", "reinstated"]
    assert detail["state"]["observation_until"] is not None
    assert (
        await gf.call("POST", "/subjects/SS-T100/black", SUPERVISOR, json={"reason": "on holiday"})
    ).status_code == 422


async def test_a_report_about_an_unknown_subject_is_refused(gf: Gridflow) -> None:
    response = await gf.submit(subject_code="SS-NOPE")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "subject_code"


async def test_subject_details_are_read_only_within_the_readers_grids_or_area(gf: Gridflow) -> None:
    """Details (state, history, who acted) for those who may see the subject's grid: its grid
    workers, supervisors of its area, admins; refused like a ticket out of scope (403). The
    sunshine lookup stays public and shows nothing personal."""
    wangs, lis = demo_city.GRIDS[1], demo_city.GRIDS[2]  # both in wu's street
    far = next(g for g in demo_city.GRIDS if g.street != wangs.street)
    for code, cell in (("SS-WANG", wangs), ("SS-LI", lis), ("SS-FAR", far)):
        created = await gf.call(
            "POST",
            "/admin/subjects",
            ADMIN,
            json={"code": code, "name": "范围测试店", "kind": "shop", "grid": cell.code},
        )
        assert created.status_code == 201, created.text
    readers = {
        WANG: {"SS-WANG"},
        LI: {"SS-LI"},
        WU: {"SS-WANG", "SS-LI"},
        SUPERVISOR: {"SS-WANG", "SS-LI", "SS-FAR"},
        ADMIN: {"SS-WANG", "SS-LI", "SS-FAR"},
        CGJ: set(),
        SENSOR: set(),
    }
    for token, allowed in readers.items():
        for code in ("SS-WANG", "SS-LI", "SS-FAR"):
            response = await gf.call("GET", f"/subjects/{code}", token)
            expected = 200 if code in allowed else 403
            assert response.status_code == expected, (token, code, response.text)
            if expected == 200:
                assert response.json()["state"] is None and response.json()["code"] == code
            else:
                assert "state" not in response.text and "范围测试店" not in response.text
    outside = (await gf.call("GET", "/subjects/SS-LI", WANG)).json()["error"]
    assert outside["code"] == "outside_your_grids" and outside["details"]["grid"] == lis.code
    assert (await gf.call("GET", "/subjects/SS-NOPE", WANG)).status_code == 404
    for code in ("SS-WANG", "SS-LI", "SS-FAR"):  # anyone, no token: nothing personal
        public = await gf.call("GET", f"/public/subjects/{code}")
        assert public.status_code == 200
        assert set(public.json()) == {"code", "name", "colour", "open_problems"}
