"""Subjects through HTTP: registration, the public sunshine lookup, black and reinstated."""
from domain import demo_city
from tests.api_fixtures import CGJ, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401

ADMIN = "demo-admin"  # registering subjects is the admin's


async def test_register_lookup_blacken_reinstate(gf: Gridflow) -> None:
    grid = demo_city.GRIDS[2].code
    body = {"code": "SS-T100", "name": "测试网吧", "kind": "shop", "grid": grid}
    assert (await gf.call("POST", "/admin/subjects", CGJ, json=body)).status_code == 403
    assert (await gf.call("POST", "/admin/subjects", SUPERVISOR, json=body)).status_code == 403
    created = await gf.call("POST", "/admin/subjects", ADMIN, json=body)
    assert created.status_code == 201 and created.json()["colour"] == "white"
    assert (await gf.call("POST", "/admin/subjects", ADMIN, json=body)).status_code == 409
    bad = await gf.call("POST", "/admin/subjects", ADMIN, json=body | {"code": "X1",
                                                                       "grid": "0" * 14})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "grid"

    public = await gf.call("GET", "/public/subjects/SS-T100")  # no token needed
    assert public.json() == {"code": "SS-T100", "name": "测试网吧", "colour": "white",
                             "open_problems": 0}
    assert (await gf.call("GET", "/public/subjects/NOPE")).status_code == 404

    assert (await gf.call("POST", "/subjects/SS-T100/black", CGJ,
                          json={"reason": "shut_down"})).status_code == 403
    assert (await gf.call("POST", "/subjects/SS-T100/reinstate", SUPERVISOR)).status_code == 409
    black = await gf.call("POST", "/subjects/SS-T100/black", SUPERVISOR,
                          json={"reason": "resumed_without_permission"})
    assert black.status_code == 200, black.text
    assert black.json()["colour"] == "black"
    assert (await gf.call("GET", "/public/subjects/SS-T100")).json()["colour"] == "black"
    back = await gf.call("POST", "/subjects/SS-T100/reinstate", SUPERVISOR)
    assert back.status_code == 200 and back.json()["colour"] == "yellow"  # observed, not white
    detail = (await gf.call("GET", "/subjects/SS-T100", WANG)).json()
    assert [e["kind"] for e in detail["state"]["history"]] == ["blackened", "reinstated"]
    assert detail["state"]["observation_until"] is not None
    assert (await gf.call("POST", "/subjects/SS-T100/black", SUPERVISOR,
                          json={"reason": "on holiday"})).status_code == 422


async def test_a_report_about_an_unknown_subject_is_refused(gf: Gridflow) -> None:
    response = await gf.submit(subject_code="SS-NOPE")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "subject_code"
