"""Routing rules on the demo city (the map itself: tests/test_domain_geo.py; the rules' precedence
and dates: tests/test_domain_routing.py)."""

from datetime import date

import pytest

from domain import demo_city
from domain.categories import CLASS_CODE, CategoryKind
from domain.models import RoutingDecision
from domain.routing import area_level, route
from tests.factories import (
    FIRE_PASSAGE,
    GARBAGE,
    GARBAGE_GRID_RULE,
    GARBAGE_RULE,
    ILLEGAL_AD,
    ILLEGAL_CONSTRUCTION,
    MANHOLE,
    OTHER,
    ROAD_DAMAGE,
    STREETLIGHT,
    UNLICENSED_BUSINESS,
)

GRIDS = demo_city.GRIDS
BEISHAN_01, PLAIN = GRIDS[0].code, GRIDS[1].code  # the first has a local garbage rule
TODAY = date(2025, 6, 2)
OTHER_STREET = next(g for g in GRIDS if g.street != GRIDS[0].street)


def decide(category: str, grid: str) -> RoutingDecision:
    return route(rules=demo_city.RULES, category=category, grid=grid, on=TODAY)


# --- routing ---------------------------------------------------------------------------------


def test_demo_grid_rule_beats_the_district_rule():
    decision = decide(GARBAGE, BEISHAN_01)
    assert (decision.department, decision.rule_id) == ("bs-street", GARBAGE_GRID_RULE)


def test_district_rule_applies_in_grids_without_a_local_rule():
    decision = decide(GARBAGE, PLAIN)
    assert (decision.department, decision.rule_id, decision.rule_version) == (
        "cgj",
        GARBAGE_RULE,
        1,
    )


def test_no_rule_for_other_leaves_the_department_open_and_says_why():
    decision = decide(OTHER, PLAIN)
    assert (decision.department, decision.rule_id, decision.rule_version) == (None, None, None)
    assert OTHER in decision.reason and PLAIN in decision.reason


@pytest.mark.parametrize(
    "category, department",
    [
        (GARBAGE, "cgj"),
        (MANHOLE, "cgj"),
        (STREETLIGHT, "cgj"),
        (ILLEGAL_CONSTRUCTION, "zjj"),
        (FIRE_PASSAGE, "xfj"),
        (UNLICENSED_BUSINESS, "scjg"),
        (ROAD_DAMAGE, "jtj"),
        (ILLEGAL_AD, "cgj"),
    ],
)
def test_the_tests_categories_route_as_before_in_the_plain_grid(category, department):
    assert decide(category, PLAIN).department == department


def test_street_and_big_class_rules_of_the_demo():
    assert decide("C0601", BEISHAN_01).department == "bs-street"  # street level
    assert decide("C0601", OTHER_STREET.code).department == "xx-street"
    assert decide("C0603", BEISHAN_01).department == "cgj"  # big class C06, district level
    assert decide("C0602", BEISHAN_01).department == "gaj"  # its sub-class rule beats C06's
    assert decide("C0401", BEISHAN_01).rule_id == "R-C04"


@pytest.mark.parametrize("category", sorted(set(demo_city.CATEGORIES) - {OTHER}))
def test_every_routable_sub_class_routes_to_its_department_in_every_grid(category):
    default = demo_city.CATEGORIES[category].default_department
    for grid in GRIDS:
        decision = decide(category, grid.code)
        assert decision.department in demo_city.DEPARTMENTS, (category, grid.code)
        assert decision.rule_id is not None
        local = demo_city.RULES[[r.rule_id for r in demo_city.RULES].index(decision.rule_id)]
        if local.area == demo_city.DISTRICT:
            assert decision.department == default, (category, grid.code)


def test_demo_rules_and_users_only_name_existing_areas_categories_and_departments():
    areas = {a for g in GRIDS for a in (g.code, g.community, g.street, g.district)}
    assert all(r.area in areas for r in demo_city.RULES)
    assert all(r.department in demo_city.DEPARTMENTS for r in demo_city.RULES)
    assert all(
        r.category in demo_city.CATEGORIES or r.category in demo_city.CLASSES
        for r in demo_city.RULES
    )
    ids = [(r.rule_id, r.version) for r in demo_city.RULES]
    assert len(set(ids)) == len(ids)
    levels = {area_level(r.area) for r in demo_city.RULES}
    assert {"district", "street", "community", "grid"} <= levels
    codes = {g.code for g in GRIDS}
    for _, _, _, department, grids, _ in demo_city.USERS:
        assert department is None or department in demo_city.DEPARTMENTS
        assert set(grids) <= codes


# --- the catalogue ---------------------------------------------------------------------------


def test_the_catalogue_has_both_kinds_and_their_big_classes():
    names = {(c.kind, c.name_zh) for c in demo_city.CLASSES.values()}
    assert {
        (CategoryKind.COMPONENT, n)
        for n in ("公用设施", "道路交通", "市容环境", "园林绿化", "房屋土地", "其他设施")
    } <= names
    assert {
        (CategoryKind.EVENT, n)
        for n in ("市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "其他事件")
    } <= names
    assert all(CLASS_CODE.match(code) for code in demo_city.CLASSES)
    assert len(demo_city.CATEGORIES) >= 40
    assert all(
        any(s.class_code == c for s in demo_city.CATEGORIES.values()) for c in demo_city.CLASSES
    )  # no empty big class


def test_every_sub_class_is_complete():
    for sub in demo_city.CATEGORIES.values():
        assert sub.name_zh and sub.name_en, sub.code
        assert sub.default_department is None or sub.default_department in demo_city.DEPARTMENTS
    assert demo_city.CATEGORIES[OTHER].default_department is None
    assert demo_city.CATEGORIES[FIRE_PASSAGE].urgency == "urgent"
    assert demo_city.CATEGORIES[GARBAGE].duplicate_radius_m == 50
    assert demo_city.CATEGORIES[OTHER].duplicate_radius_m is None


def test_departments_have_chinese_names():
    assert len(demo_city.DEPARTMENTS) >= 10
    assert all(
        any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in demo_city.DEPARTMENTS.values()
    )


def test_handling_limits_name_sub_classes_and_cover_most():
    limited = {r.category for r in demo_city.DEADLINE_RULES}
    assert limited <= set(demo_city.CATEGORIES)
    assert len(limited) >= 40
    by_code = {r.category: (r.amount, r.unit) for r in demo_city.DEADLINE_RULES}
    assert by_code[GARBAGE] == (4, "working_hours")
    assert by_code["E0102"] == (2, "working_hours")  # street cleaning
    assert by_code[ILLEGAL_CONSTRUCTION] == (20, "working_days")
    assert all(
        by_code[c.code][1] == "hours"
        for c in demo_city.CATEGORIES.values()
        if c.urgency == "urgent"
    )  # urgent ones run day and night
