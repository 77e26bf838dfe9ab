"""Routing rules, pure: precedence (category, area, priority, dates), effective dates, versions;
the category code scheme. The demo city's rules: tests/test_domain_routing_geo.py."""

import itertools
from datetime import date

import pytest
from pydantic import ValidationError

from domain.categories import BigClass, Catalogue, CategoryKind, SubClass, class_of, kind_of
from domain.routing import RoutingRule, area_level, candidates, route

DISTRICT, STREET, COMMUNITY, GRID = "330106", "330106001", "330106001001", "33010600100101"
OTHER_STREET_GRID = "33010600200101"
SUB, BIG = "E0101", "E01"
DAY = date(2025, 6, 2)


def rule(
    rule_id: str,
    *,
    category: str = SUB,
    area: str | None = None,
    department: str = "cgj",
    priority: int = 0,
    version: int = 1,
    start: date = date(2024, 1, 1),
    end: date | None = None,
) -> RoutingRule:
    return RoutingRule(
        rule_id=rule_id,
        version=version,
        category=category,
        area=area,
        department=department,
        priority=priority,
        effective_from=start,
        effective_to=end,
    )


def winner(
    rules: list[RoutingRule], *, category: str = SUB, grid: str = GRID, on: date = DAY
) -> str | None:
    """The department, checked to be the same for every order of the rules."""
    answers = {
        route(rules=list(p), category=category, grid=grid, on=on).department
        for p in itertools.permutations(rules)
    }
    assert len(answers) == 1, answers
    return answers.pop()


# --- precedence --------------------------------------------------------------------------------

AREA_LADDER = [
    (GRID, "grid"),
    (COMMUNITY, "community"),
    (STREET, "street"),
    (DISTRICT, "district"),
    (None, "any"),
]


@pytest.mark.parametrize("most_specific", range(len(AREA_LADDER)))
def test_the_smallest_area_wins(most_specific):
    rules = [
        rule(f"R-{level}", area=area, department=level)
        for area, level in AREA_LADDER[most_specific:]
    ]
    assert winner(rules) == AREA_LADDER[most_specific][1]


def test_a_sub_class_rule_beats_a_big_class_rule_whatever_their_areas():
    rules = [
        rule("R-big-grid", category=BIG, area=GRID, department="bs-street"),
        rule("R-sub-any", category=SUB, area=None, department="cgj"),
    ]
    assert winner(rules) == "cgj"
    # the big class rule still covers the class's other sub-classes
    assert winner(rules, category="E0102") == "bs-street"


def test_a_big_class_rule_covers_only_its_own_sub_classes():
    rules = [rule("R-E01", category="E01")]
    assert winner(rules, category="E0107") == "cgj"
    assert winner(rules, category="E0201") is None
    assert winner(rules, category="C0101") is None  # same digits, other kind


def test_areas_match_by_code_prefix():
    rules = [rule("R-street", area=STREET, department="bs-street")]
    assert winner(rules, grid=GRID) == "bs-street"
    assert winner(rules, grid=OTHER_STREET_GRID) is None


def test_priority_breaks_a_tie_between_equally_specific_rules():
    rules = [
        rule("R-a", area=STREET, department="low"),
        rule("R-b", area=STREET, department="high", priority=5),
    ]
    assert winner(rules) == "high"
    # …but never beats a more specific rule
    rules.append(rule("R-c", area=GRID, department="grid", priority=-5))
    assert winner(rules) == "grid"


def test_then_the_rule_in_force_since_later_then_the_higher_version_then_the_rule_id():
    older = rule("R-a", area=STREET, department="older", start=date(2024, 1, 1))
    newer = rule("R-b", area=STREET, department="newer", start=date(2025, 1, 1))
    assert winner([older, newer]) == "newer"
    v1 = rule("R-x", department="v1", version=1)
    v2 = rule("R-x", department="v2", version=2)  # overlapping versions (bad data): the later
    assert winner([v1, v2]) == "v2"
    assert winner([rule("R-b", department="b"), rule("R-a", department="a")]) == "a"


def test_candidates_come_best_first():
    rules = [
        rule("R-any"),
        rule("R-big-grid", category=BIG, area=GRID),
        rule("R-district", area=DISTRICT),
        rule("R-grid", area=GRID),
        rule("R-elsewhere", area=OTHER_STREET_GRID),
    ]
    ranked = candidates(rules=rules, category=SUB, grid=GRID, on=DAY)
    assert [r.rule_id for r in ranked] == ["R-grid", "R-district", "R-any", "R-big-grid"]


# --- effective dates and versions --------------------------------------------------------------


def test_effective_from_is_inclusive_and_effective_to_exclusive():
    r = rule("R-x", start=date(2025, 6, 1), end=date(2025, 7, 1))
    assert winner([r], on=date(2025, 5, 31)) is None
    assert winner([r], on=date(2025, 6, 1)) == "cgj"
    assert winner([r], on=date(2025, 6, 30)) == "cgj"
    assert winner([r], on=date(2025, 7, 1)) is None
    assert winner([rule("R-open", start=date(2025, 6, 1))], on=date(2099, 1, 1)) == "cgj"


def test_a_new_version_takes_over_the_day_the_old_one_ends():
    v1 = rule("R-x", version=1, department="cgj", end=date(2025, 6, 1))
    v2 = rule("R-x", version=2, department="zjj", start=date(2025, 6, 1))
    before = route(rules=[v1, v2], category=SUB, grid=GRID, on=date(2025, 5, 31))
    after = route(rules=[v1, v2], category=SUB, grid=GRID, on=date(2025, 6, 1))
    assert (before.department, before.rule_id, before.rule_version) == ("cgj", "R-x", 1)
    assert (after.department, after.rule_id, after.rule_version) == ("zjj", "R-x", 2)


def test_an_ended_specific_rule_lets_the_general_one_apply_again():
    rules = [
        rule("R-district", area=DISTRICT),
        rule("R-grid", area=GRID, department="bs-street", end=date(2025, 6, 1)),
    ]
    assert winner(rules, on=date(2025, 5, 1)) == "bs-street"
    assert winner(rules, on=date(2025, 6, 1)) == "cgj"


def test_a_rule_cannot_end_before_it_starts():
    with pytest.raises(ValidationError, match="effective_to"):
        rule("R-x", start=date(2025, 6, 1), end=date(2025, 5, 1))


# --- the decision ------------------------------------------------------------------------------


def test_the_decision_names_rule_version_scope_and_what_it_beat():
    rules = [
        rule("R-E0101", area=DISTRICT, version=3),
        rule("R-E0101-g", area=GRID, department="bs-street", version=2),
    ]
    decision = route(rules=rules, category=SUB, grid=GRID, on=DAY)
    assert (decision.department, decision.rule_id, decision.rule_version) == (
        "bs-street",
        "R-E0101-g",
        2,
    )
    assert "v2" in decision.reason and f"grid {GRID}" in decision.reason
    assert "beats 1 other" in decision.reason
    big = route(rules=[rule("R-E01", category=BIG)], category=SUB, grid=GRID, on=DAY)
    assert "big class E01 in anywhere" in big.reason


def test_no_rule_leaves_the_department_open_and_says_why():
    decision = route(rules=[rule("R-x", category="E0102")], category=SUB, grid=GRID, on=DAY)
    assert (decision.department, decision.rule_id, decision.rule_version) == (None, None, None)
    assert SUB in decision.reason and GRID in decision.reason and "2025-06-02" in decision.reason


def test_area_levels_are_named_by_code_length():
    assert [area_level(a) for a, _ in AREA_LADDER] == [level for _, level in AREA_LADDER]


# --- the category code scheme ----------------------------------------------------------------


def test_codes_name_their_kind_and_big_class():
    assert (class_of("E0101"), class_of("C0602")) == ("E01", "C06")
    assert class_of("E01") is None and class_of("garbage") is None and class_of("X0101") is None
    assert kind_of("C01") == kind_of("C0101") == CategoryKind.COMPONENT
    assert kind_of("E0699") == CategoryKind.EVENT and kind_of("E1") is None


def test_a_catalogue_refuses_bad_codes_orphans_and_repeats():
    e01 = BigClass(code="E01", name_zh="市容环境", name_en="City appearance")
    garbage = SubClass(
        code="E0101", name_zh="暴露垃圾", name_en="Exposed garbage", default_department="cgj"
    )
    assert garbage.duplicate_radius_m == 50 and garbage.duplicate_window_hours == 72
    assert garbage.urgency == "normal" and garbage.class_code == "E01"
    Catalogue(classes=[e01], subclasses=[garbage])
    with pytest.raises(ValidationError, match="without a big class"):
        Catalogue(classes=[], subclasses=[garbage])
    with pytest.raises(ValidationError, match="repeat"):
        Catalogue(classes=[e01], subclasses=[garbage, garbage])
    with pytest.raises(ValidationError, match="four digits"):
        SubClass(code="E011", name_zh="x", name_en="x", default_department=None)
    with pytest.raises(ValidationError):
        SubClass(
            code="E0101", name_zh="x", name_en="x", default_department=None, duplicate_radius_m=0
        )
