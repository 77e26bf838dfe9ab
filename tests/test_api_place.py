"""Place over HTTP: reports in GCJ-02 / BD-09 land in the right grid and are stored in WGS-84;
the map as GeoJSON; the point → grid index and its reload."""

from typing import Any

import pytest
from sqlmodel import col, delete

from domain import demo_city
from domain.geo import CoordSystem, GridIndex
from readmodel.reference.tables import Grid
from tests.api_fixtures import SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.factories import from_wgs84
from tests.test_api_errors import error
from tests.test_domain_geo import point_near_shared_edge

ADMIN = "demo-admin"  # the admin reloads the map


@pytest.mark.parametrize("system", [CoordSystem.GCJ02, CoordSystem.BD09])
async def test_a_phone_point_near_a_grid_edge_lands_in_its_grid_and_is_stored_in_wgs84(
    gf: Gridflow, system: CoordSystem
) -> None:
    cell, neighbour, wgs = point_near_shared_edge()  # ~5 m inside `cell`
    lat, lon = from_wgs84(lat=wgs.lat, lon=wgs.lon, system=system)  # what the phone shows
    response = await gf.submit(lat=lat, lon=lon, coord_system=system.value, key=f"place-{system}")
    assert response.status_code == 201, response.text
    assert response.json()["grid"] == cell.code
    ticket = await gf.ticket(response.json()["ticket_id"])
    assert (ticket["lat"], ticket["lon"]) == pytest.approx((wgs.lat, wgs.lon), abs=1e-7)
    # The same report again is the same ticket.
    again = await gf.submit(lat=lat, lon=lon, coord_system=system.value, key=f"place-{system}")
    assert again.status_code == 200 and again.json()["ticket_id"] == response.json()["ticket_id"]


async def test_the_same_phone_point_taken_for_wgs84_is_hundreds_of_metres_off(gf: Gridflow) -> None:
    cell, _, wgs = point_near_shared_edge()
    lat, lon = from_wgs84(lat=wgs.lat, lon=wgs.lon, system=CoordSystem.GCJ02)
    elsewhere = GridIndex(demo_city.GRIDS).locate(lat=lat, lon=lon)  # here: off the map's rim
    assert elsewhere != cell
    response = await gf.submit(lat=lat, lon=lon)  # coord_system defaults to wgs84
    if elsewhere is None:
        assert response.status_code == 422, response.text
    elif elsewhere.code in [g.code for g in demo_city.GRIDS[:2]]:  # wang's own grids
        assert response.status_code == 201 and response.json()["grid"] == elsewhere.code
    else:  # a grid worker reports only in their grids: the refusal names where it landed
        assert response.status_code == 403 and error(response)["details"]["grid"] == elsewhere.code


async def test_422_for_an_unknown_coordinate_system_or_a_point_outside_every_grid(
    gf: Gridflow,
) -> None:
    bad = await gf.submit(coord_system="cgcs2000")
    assert bad.status_code == 422 and "coord_system" in [f["field"] for f in error(bad)["fields"]]
    # West Lake in GCJ-02: outside every grid once converted too.
    lat, lon = from_wgs84(lat=30.245, lon=120.15, system=CoordSystem.GCJ02)
    outside = await gf.submit(lat=lat, lon=lon, coord_system="gcj02")
    assert outside.status_code == 422
    assert {f["field"] for f in error(outside)["fields"]} == {"lat", "lon"}
    assert "outside every grid" in error(outside)["message"]


async def test_the_map_is_geojson_for_anyone_signed_in(gf: Gridflow) -> None:
    response = await gf.call("GET", "/map", WANG)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    doc = response.json()
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 1 + 4 + 16 + 71
    first = doc["features"][0]
    assert first["properties"] == {
        "code": "330106",
        "level": "district",
        "name": "西湖区",
        "parent": None,
    }
    assert first["geometry"]["type"] == "Polygon"
    grids = (await gf.call("GET", "/map", WANG, params={"level": "grid"})).json()["features"]
    assert [f["properties"]["code"] for f in grids] == [g.code for g in demo_city.GRIDS]
    assert grids[0]["properties"]["parent"] == demo_city.GRIDS[0].community
    streets = (await gf.call("GET", "/map", WANG, params={"level": "street"})).json()["features"]
    assert [f["properties"]["name"] for f in streets] == list(demo_city.STREETS.values())
    assert (await gf.call("GET", "/map", None)).status_code == 401
    assert (await gf.call("GET", "/map", WANG, params={"level": "county"})).status_code == 422


async def test_the_index_is_built_once_and_reloaded_on_demand(gf: Gridflow) -> None:
    gone = demo_city.GRIDS[1]  # one of wang's: he may report there
    async with gf.db.session() as session:
        await session.exec(delete(Grid).where(col(Grid.code) == gone.code))
        await session.commit()
    point: dict[str, Any] = {"lat": gone.inside.lat, "lon": gone.inside.lon}
    still = await gf.submit(**point)  # the index of this process still has it
    assert still.status_code == 201 and still.json()["grid"] == gone.code
    assert (await gf.call("POST", "/map/reload", WANG)).status_code == 403
    assert (await gf.call("POST", "/map/reload", SUPERVISOR)).status_code == 403
    reloaded = await gf.call("POST", "/map/reload", ADMIN)
    assert reloaded.status_code == 200 and reloaded.json() == {"grids": len(demo_city.GRIDS) - 1}
    assert (await gf.submit(**point)).status_code == 422
