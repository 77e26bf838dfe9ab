"""Place: the demo map (codes, tiling), point → grid with the STRtree, coordinate systems."""

import json
import random
import re
from collections import Counter

import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from domain import demo_city
from domain.demo import geography, make_geography
from domain.geo import (
    Area,
    CoordSystem,
    GridCell,
    GridIndex,
    Level,
    LonLat,
    feature_collection,
    level_of,
    parent_of,
    read_feature_collection,
    to_wgs84,
)
from tests.factories import from_wgs84

GRIDS = demo_city.GRIDS
AREAS = {a.code: a for a in geography.AREAS}
INDEX = GridIndex(GRIDS)
DISTRICT = AREAS[demo_city.DISTRICT]


def of_level(level: Level) -> list[Area]:
    return [a for a in geography.AREAS if a.level is level]


def covering(lon: float, lat: float) -> list[str]:
    """Brute force: every cell whose closed polygon holds the point."""
    return sorted(c.code for c in GRIDS if c.polygon.covers(Point(lon, lat)))


# --- the map --------------------------------------------------------------------------------


def test_the_map_is_a_district_of_streets_communities_and_grids():
    assert [a.code for a in of_level(Level.DISTRICT)] == ["330106"] == [demo_city.DISTRICT]
    assert len(of_level(Level.STREET)) >= 3 and len(demo_city.STREETS) == 4
    assert len(of_level(Level.COMMUNITY)) >= 12 and len(demo_city.COMMUNITIES) == 16
    assert len(GRIDS) >= 60 and len(GRIDS) == 71
    assert GRIDS == sorted(GRIDS, key=lambda c: c.code)


def test_the_map_lies_west_of_west_lake_in_wgs84():
    west, south, east, north = DISTRICT.polygon.bounds
    assert 120.07 < west < east < 120.17 and 30.23 < south < north < 30.31
    # West Lake (its western half around 120.14-120.16, 30.24-30.26) is not in any grid.
    assert INDEX.locate(lat=30.245, lon=120.15) is None


CODE = re.compile(r"^(?P<county>\d{6})(?P<street>\d{3})(?P<community>\d{3})(?P<grid>\d{2})$")


@pytest.mark.parametrize("cell", GRIDS, ids=lambda c: c.code)
def test_grid_code_is_county_street_community_grid(cell):
    parts = CODE.match(cell.code)
    assert parts, cell.code
    assert parts["county"] == cell.district == demo_city.DISTRICT
    assert cell.street == cell.code[:9] and parts["street"] in demo_city.STREETS
    assert cell.community == cell.code[:12]
    assert (parts["street"], parts["community"]) in demo_city.COMMUNITIES
    assert parts["grid"] != "00" and parts["street"] != "000" and parts["community"] != "000"
    assert cell.name.startswith(demo_city.COMMUNITIES[parts["street"], parts["community"]])
    assert level_of(cell.code) is Level.GRID and parent_of(cell.code) == cell.community


def test_codes_are_unique_and_numbered_from_01_in_each_parent():
    codes = [c.code for c in GRIDS]
    assert len(set(codes)) == len(codes)
    for parent in [*of_level(Level.STREET), *of_level(Level.COMMUNITY)]:
        children = sorted(
            u.code for u in [*geography.AREAS, *GRIDS] if parent_of(u.code) == parent.code
        )
        width = len(children[0]) - len(parent.code)
        assert [c[len(parent.code) :] for c in children] == [
            f"{n:0{width}d}" for n in range(1, len(children) + 1)
        ], parent.code
        assert len(children) >= 2


def test_every_area_names_its_parent_by_code_prefix():
    for area in geography.AREAS:
        assert area.parent == parent_of(area.code)
        assert area.parent is None or area.parent in AREAS
        assert level_of(area.code) is area.level


@pytest.mark.parametrize("cell", GRIDS, ids=lambda c: c.code)
def test_every_cell_is_a_valid_polygon_and_its_inside_point_locates_to_it(cell):
    assert cell.polygon.is_valid and cell.ring[0] == cell.ring[-1]
    assert cell.polygon.contains(Point(cell.inside))  # strictly inside, not on an edge
    assert INDEX.locate(lat=cell.inside.lat, lon=cell.inside.lon) == cell
    assert 0.3 < cell.polygon.area * 111.32 * 0.8637 * 110.9 < 1.0  # km², a walkable cell


def _tiles(parent: Polygon, parts: list[Polygon]) -> None:
    union = shapely.union_all(parts)
    assert sum(p.area for p in parts) == pytest.approx(union.area, rel=1e-12)  # no overlap
    assert union.symmetric_difference(parent).area < 1e-12 * parent.area  # no gap, nothing outside


@pytest.mark.parametrize("community", of_level(Level.COMMUNITY), ids=lambda a: a.code)
def test_cells_tile_their_community_without_overlap(community):
    cells = [c.polygon for c in GRIDS if c.community == community.code]
    assert len(cells) >= 2
    _tiles(community.polygon, cells)


def test_communities_tile_their_street_and_streets_the_district():
    for street in of_level(Level.STREET):
        _tiles(
            street.polygon,
            [a.polygon for a in of_level(Level.COMMUNITY) if a.parent == street.code],
        )
    _tiles(DISTRICT.polygon, [a.polygon for a in of_level(Level.STREET)])
    _tiles(DISTRICT.polygon, [c.polygon for c in GRIDS])
    for area in geography.AREAS:
        assert area.polygon.is_valid and area.polygon.geom_type == "Polygon"


def test_neighbours_share_identical_edges():
    """Every edge inside the district belongs to exactly two cells, vertex for vertex, so no
    sliver lies between or under two cells; an edge of one cell only is on the district's rim."""
    edges = Counter(
        frozenset(pair) for c in GRIDS for pair in zip(c.ring, c.ring[1:], strict=False)
    )
    assert set(edges.values()) == {1, 2}
    rim = DISTRICT.polygon.boundary
    for edge, count in edges.items():
        on_rim = rim.covers(LineString(sorted(edge)))
        assert on_rim == (count == 1), sorted(edge)
    assert sum(1 for n in edges.values() if n == 2) > len(GRIDS)  # plenty of shared edges


def test_the_geojson_file_is_what_the_generator_makes():
    areas, cells = make_geography.build()
    assert make_geography.render(areas, cells) == geography.GEOJSON_PATH.read_text(encoding="utf-8")


def test_the_geojson_is_a_feature_collection_of_ccw_polygons_with_the_agreed_properties():
    doc = json.loads(geography.GEOJSON_PATH.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    levels = Counter(f["properties"]["level"] for f in doc["features"])
    assert levels == {"district": 1, "street": 4, "community": 16, "grid": 71}
    for f in doc["features"]:
        assert set(f["properties"]) == {"code", "level", "name", "parent"}
        assert f["geometry"]["type"] == "Polygon"
        assert Polygon(f["geometry"]["coordinates"][0]).exterior.is_ccw  # RFC 7946
    assert feature_collection(geography.AREAS, geography.GRIDS) == doc


def test_reading_geojson_refuses_a_parent_that_is_not_the_code_prefix():
    doc = feature_collection(geography.AREAS, geography.GRIDS)
    doc["features"][-1]["properties"]["parent"] = "330106009009"
    with pytest.raises(ValueError, match="parent"):
        read_feature_collection(doc)


def test_the_demo_people_sit_where_the_tests_expect():
    """wang works GRIDS[0] and [1], li [2] and [3], all in one community of 北山街道 (whose
    street office has local routing rules in GRIDS[0])."""
    grids = {user_id: grids for user_id, _, _, _, grids, _ in demo_city.USERS}
    assert grids["wang"] == [GRIDS[0].code, GRIDS[1].code]
    assert grids["li"] == [GRIDS[2].code, GRIDS[3].code]
    assert {g.community for g in GRIDS[:4]} == {"330106001001"}
    assert GRIDS[0].street == "330106001" and demo_city.STREETS["001"] == "北山街道"


# --- point → grid ---------------------------------------------------------------------------


def test_every_vertex_resolves_to_exactly_one_grid_the_lowest_code_holding_it():
    vertices = {p for c in GRIDS for p in c.ring}
    shared = 0
    for lon, lat in vertices:
        holders = covering(lon, lat)
        assert holders, (lon, lat)
        shared += len(holders) > 1
        assert INDEX.locate(lat=lat, lon=lon).code == holders[0]
    assert shared > 100  # most vertices are shared by two to four cells


def test_a_point_on_a_shared_edge_resolves_to_one_grid_whatever_the_order_of_cells():
    backwards = GridIndex(reversed(GRIDS))
    a, b = GRIDS[0], next(c for c in GRIDS[1:] if c.polygon.intersection(GRIDS[0].polygon).length)
    edge = a.polygon.intersection(b.polygon)
    for t in (0.1, 0.25, 0.5, 0.75, 0.9):
        p = edge.interpolate(t, normalized=True)
        got = INDEX.locate(lat=p.y, lon=p.x)
        assert got is not None and got.code in (a.code, b.code)
        assert backwards.locate(lat=p.y, lon=p.x) == got
        if covering(p.x, p.y) == sorted([a.code, b.code]):  # exactly on it in floating point
            assert got.code == min(a.code, b.code)


def test_the_index_agrees_with_a_brute_force_scan_on_random_points():
    rng = random.Random(7)
    west, south, east, north = DISTRICT.polygon.bounds
    inside = 0
    for _ in range(3000):
        lon, lat = (
            rng.uniform(west - 0.005, east + 0.005),
            rng.uniform(south - 0.005, north + 0.005),
        )
        holders = covering(lon, lat)
        got = INDEX.locate(lat=lat, lon=lon)
        assert (got.code if got else None) == (holders[0] if holders else None)
        assert (got is not None) == DISTRICT.polygon.covers(Point(lon, lat))
        inside += got is not None
    assert 1500 < inside < 3000


@pytest.mark.parametrize(
    "lon, lat",
    [
        (120.05, 30.255),
        (120.20, 30.255),
        (120.115, 30.20),
        (120.115, 30.35),
        (0.0, 0.0),
        (-120.115, -30.255),
        (121.5, 31.5),
    ],
)
def test_a_point_outside_every_grid_locates_nowhere(lon, lat):
    assert INDEX.locate(lat=lat, lon=lon) is None


def test_the_rim_is_in_a_grid_and_a_tenth_of_a_metre_outside_it_is_nowhere():
    for lon, lat in DISTRICT.ring:  # vertices: exactly on the rim
        assert INDEX.locate(lat=lat, lon=lon) is not None
    outside = DISTRICT.polygon.buffer(1e-6).exterior  # 1e-6° ~ 0.1 m
    inside = DISTRICT.polygon.buffer(-1e-6).exterior
    for t in [n / 200 for n in range(200)]:
        p, q = outside.interpolate(t, normalized=True), inside.interpolate(t, normalized=True)
        assert INDEX.locate(lat=p.y, lon=p.x) is None
        assert INDEX.locate(lat=q.y, lon=q.x) is not None


def test_an_empty_index_locates_nothing():
    assert GridIndex([]).locate(lat=30.26, lon=120.12) is None
    assert len(GridIndex([])) == 0 and len(INDEX) == 71


def test_a_cell_from_the_read_model_row_shape_is_the_same_cell():
    cell = GRIDS[7]
    row = cell.model_dump() | {"ring": [list(p) for p in cell.ring]}  # JSON lists, not tuples
    assert GridCell.model_validate(row) == cell


# --- coordinate systems ---------------------------------------------------------------------

# Published test vectors of the GCJ-02 transform (eviltransform's tests): WGS-84 → GCJ-02.
WGS_GCJ = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize("wgs, gcj", WGS_GCJ)
def test_gcj02_converts_to_wgs84_and_back(wgs, gcj):
    assert to_wgs84(lat=gcj[0], lon=gcj[1], system=CoordSystem.GCJ02) == pytest.approx(
        wgs, abs=1e-7
    )
    assert from_wgs84(lat=wgs[0], lon=wgs[1], system=CoordSystem.GCJ02) == pytest.approx(
        gcj, abs=1e-9
    )


def test_hangzhou_offsets_are_hundreds_of_metres_and_invert_exactly():
    wgs = (30.27, 120.12)
    gcj = from_wgs84(lat=wgs[0], lon=wgs[1], system=CoordSystem.GCJ02)
    bd = from_wgs84(lat=wgs[0], lon=wgs[1], system=CoordSystem.BD09)
    assert gcj == pytest.approx((30.267720, 120.124780), abs=1e-6)
    assert bd == pytest.approx((30.274074, 120.131212), abs=1e-6)
    assert 400 < Point(wgs[1], wgs[0]).distance(Point(gcj[1], gcj[0])) * 100_000 < 600
    for system, shifted in ((CoordSystem.GCJ02, gcj), (CoordSystem.BD09, bd)):
        back = to_wgs84(lat=shifted[0], lon=shifted[1], system=system)
        assert back == pytest.approx(wgs, abs=1e-8)


def test_wgs84_and_points_outside_china_are_left_as_they_are():
    assert to_wgs84(lat=30.27, lon=120.12, system=CoordSystem.WGS84) == (30.27, 120.12)
    for system in CoordSystem:
        assert to_wgs84(lat=48.85, lon=2.35, system=system) == (48.85, 2.35)


def test_a_gcj02_point_near_a_grid_edge_lands_in_the_right_grid_once_converted():
    a, b, point = point_near_shared_edge()
    gcj = from_wgs84(lat=point.lat, lon=point.lon, system=CoordSystem.GCJ02)
    assert INDEX.locate(lat=gcj[0], lon=gcj[1]) != a  # taken as WGS-84 it would be ~450 m off
    lat, lon = to_wgs84(lat=gcj[0], lon=gcj[1], system=CoordSystem.GCJ02)
    assert INDEX.locate(lat=lat, lon=lon) == a
    assert (lat, lon) == pytest.approx((point.lat, point.lon), abs=1e-8)


def point_near_shared_edge() -> tuple[GridCell, GridCell, LonLat]:
    """(cell a, its neighbour b, a WGS-84 point in a about 5 m from their shared edge)."""
    a = GRIDS[0]
    b = next(c for c in GRIDS[1:] if a.polygon.intersection(c.polygon).length)
    edge = a.polygon.intersection(b.polygon)
    middle = edge.interpolate(0.5, normalized=True)
    towards = Point(a.inside)
    d = middle.distance(towards)
    step = 0.00005 / d  # ~5 m towards the inside point
    p = Point(middle.x + (towards.x - middle.x) * step, middle.y + (towards.y - middle.y) * step)
    assert a.polygon.contains(p) and not b.polygon.covers(p)
    return a, b, LonLat(p.x, p.y)
