"""Routing rules, grid lookup and the demo city's grid codes."""
import re

import pytest

from domain import demo_city
from domain.geo import contains, locate
from domain.routing import RoutingRule, route

GRIDS = demo_city.GRIDS
BEISHAN_01, PLAIN = GRIDS[0].code, GRIDS[1].code  # the first has a local garbage rule


def rule(rule_id: str, *, grid: str | None = None, department: str = "cgj", version: int = 1,
         category: str = "garbage") -> RoutingRule:
    return RoutingRule(rule_id=rule_id, version=version, category=category, grid=grid,
                       department=department)


# --- routing ---------------------------------------------------------------------------------

def test_demo_grid_rule_beats_the_city_wide_rule():
    decision = route(rules=demo_city.RULES, category="garbage", grid=BEISHAN_01)
    assert (decision.department, decision.rule_id) == ("bs-street", "R-garbage-bs01")


def test_city_wide_rule_applies_in_grids_without_a_local_rule():
    decision = route(rules=demo_city.RULES, category="garbage", grid=PLAIN)
    assert (decision.department, decision.rule_id) == ("cgj", "R-garbage")


@pytest.mark.parametrize("order", ["city first", "grid first"])
def test_grid_rule_wins_whatever_the_rule_order_or_ids(order):
    city = rule("A-city", department="cgj")  # sorts before the grid rule by id
    local = rule("Z-local", grid=PLAIN, department="bs-street")
    rules = [city, local] if order == "city first" else [local, city]
    assert route(rules=rules, category="garbage", grid=PLAIN).department == "bs-street"
    assert route(rules=rules, category="garbage", grid=BEISHAN_01).department == "cgj"


def test_no_rule_leaves_the_department_open_and_says_why():
    decision = route(rules=demo_city.RULES, category="other", grid=PLAIN)
    assert (decision.department, decision.rule_id, decision.rule_version) == (None, None, None)
    assert "other" in decision.reason and PLAIN in decision.reason


def test_a_rule_for_another_category_or_grid_does_not_match():
    rules = [rule("R-manhole", category="manhole"), rule("R-local", grid=BEISHAN_01)]
    assert route(rules=rules, category="garbage", grid=PLAIN).department is None


def test_decision_records_rule_id_and_version():
    decision = route(rules=[rule("R-garbage", version=4, department="cgj")],
                     category="garbage", grid=PLAIN)
    assert (decision.department, decision.rule_id, decision.rule_version) == ("cgj", "R-garbage", 4)
    assert "R-garbage" in decision.reason and "v4" in decision.reason


@pytest.mark.parametrize("category", sorted(set(demo_city.CATEGORIES) - {"other"}))
def test_every_demo_category_routes_to_a_known_department_in_every_grid(category):
    for grid in GRIDS:
        decision = route(rules=demo_city.RULES, category=category, grid=grid.code)
        assert decision.department in demo_city.DEPARTMENTS, (category, grid.code)


def test_demo_rules_and_users_only_name_existing_grids_and_departments():
    codes = {g.code for g in GRIDS}
    assert all(r.grid is None or r.grid in codes for r in demo_city.RULES)
    assert all(r.department in demo_city.DEPARTMENTS for r in demo_city.RULES)
    assert all(r.category in demo_city.CATEGORIES for r in demo_city.RULES)
    for _, _, _, department, grids, _ in demo_city.USERS:
        assert department is None or department in demo_city.DEPARTMENTS
        assert set(grids) <= codes


# --- geo -------------------------------------------------------------------------------------

def centre(ring: list[tuple[float, float]]) -> tuple[float, float]:
    corners = ring[:-1]
    return (sum(x for x, _ in corners) / len(corners), sum(y for _, y in corners) / len(corners))


@pytest.mark.parametrize("cell", GRIDS, ids=lambda c: c.code)
def test_every_grid_centre_locates_to_that_grid(cell):
    lon, lat = centre(cell.ring)
    assert locate(GRIDS, lat=lat, lon=lon) == cell


@pytest.mark.parametrize("lon, lat", [(120.05, 30.255), (120.20, 30.255), (120.115, 30.20),
                                      (120.115, 30.30), (0.0, 0.0), (-120.115, -30.255)])
def test_a_point_outside_every_grid_locates_nowhere(lon, lat):
    assert locate(GRIDS, lat=lat, lon=lon) is None


def interior_boundary_points() -> list[tuple[float, float]]:
    """Every vertex and edge midpoint of every cell that is not on the city's outer boundary."""
    xs = [x for g in GRIDS for x, _ in g.ring]
    ys = [y for g in GRIDS for _, y in g.ring]
    points = set()
    for cell in GRIDS:
        for (x0, y0), (x1, y1) in zip(cell.ring, cell.ring[1:]):
            points |= {(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2)}
    return sorted((x, y) for x, y in points
                  if min(xs) < x < max(xs) and min(ys) < y < max(ys))


def test_there_are_shared_edges_to_check():
    # 4 x 2 cells: 3 inner vertical lines, 1 inner horizontal line
    assert len(interior_boundary_points()) >= 3 * 3 + 4 * 1


@pytest.mark.parametrize("lon, lat", interior_boundary_points())
def test_a_point_on_a_shared_edge_lies_in_exactly_one_grid(lon, lat):
    holders = [c.code for c in GRIDS if contains(c.ring, lon, lat)]
    assert len(holders) == 1, holders
    assert locate(GRIDS, lat=lat, lon=lon).code == holders[0]


def test_neighbouring_cells_share_their_edges_exactly():
    """No sliver between or under two cells: a right edge is the next cell's left edge."""
    by_code = {c.code: c for c in GRIDS}
    lefts = {min(x for x, _ in c.ring) for c in by_code.values()}
    rights = {max(x for x, _ in c.ring) for c in by_code.values()}
    bottoms = {min(y for _, y in c.ring) for c in by_code.values()}
    tops = {max(y for _, y in c.ring) for c in by_code.values()}
    assert len(lefts | rights) == 5  # 4 columns
    assert len(bottoms | tops) == 3  # 2 rows


# --- grid codes ------------------------------------------------------------------------------

CODE = re.compile(r"^(?P<county>\d{6})(?P<street>\d{3})(?P<community>\d{3})(?P<grid>\d{2})$")


@pytest.mark.parametrize("cell", GRIDS, ids=lambda c: c.code)
def test_grid_code_is_county_street_community_grid(cell):
    parts = CODE.match(cell.code)
    assert parts, cell.code
    assert parts["county"] == cell.district == demo_city.DISTRICT
    assert cell.street == cell.code[:9] and parts["street"] in demo_city.STREETS
    assert cell.community == cell.code[:12]
    assert (parts["street"], parts["community"]) in demo_city.COMMUNITIES
    assert parts["grid"] != "00"
    assert cell.name.startswith(demo_city.COMMUNITIES[parts["street"], parts["community"]])


def test_grid_codes_are_unique_and_each_community_has_its_grids():
    codes = [c.code for c in GRIDS]
    assert len(set(codes)) == len(codes) == 8
    for street, community in demo_city.COMMUNITIES:
        prefix = f"{demo_city.DISTRICT}{street}{community}"
        assert sorted(c[12:] for c in codes if c.startswith(prefix)) == ["01", "02"]
