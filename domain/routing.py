"""Routing as data: (category, area) → department; the most specific effective rule wins.

A rule names
* a **category**: a sub-class code (`E0101`) or a big class code (`E01`, every sub-class in it);
* an **area**: a district, street, community or grid code, or None for anywhere. Area codes are
  hierarchical prefixes (a grid code starts with its community's, street's and district's codes,
  CJ/T 349), so a rule covers a grid when the grid code starts with the rule's area;
* a **department**, a **priority** (default 0) and the days it is in force: `effective_from`
  (inclusive) to `effective_to` (exclusive; None: open-ended), calendar days in Asia/Shanghai.

Precedence among the rules in force on the day that cover the ticket's category and grid:
1. a sub-class rule beats a big class rule (whatever their areas);
2. then the smaller area: grid > community > street > district > anywhere (a longer area code);
3. then the higher `priority`;
4. then the rule that came into force later (`effective_from`), then the higher `version`;
5. then the smaller `rule_id` (only so that the answer never depends on the order of the rows).

A rule is never edited in place: a change is a new `version` of the same `rule_id`, and the
version it replaces ends (`effective_to`) the day the new one starts. The decision names the rule
and version, and the workflow records it, so later changes never move a routed ticket.
"""

from datetime import date

from pydantic import BaseModel, Field, model_validator

from domain.areas import contains, level_name
from domain.categories import CLASS_CODE, class_of
from domain.models import RoutingDecision

BEGINNING = date(2000, 1, 1)


def area_level(area: str | None) -> str:
    """district / street / community / grid for a code of that length; "any" for None."""
    if area is None:
        return "any"
    return level_name(area) or f"area of {len(area)} digits"


class RoutingRule(BaseModel):
    rule_id: str
    version: int = Field(default=1, ge=1)
    category: str  # a sub-class code, or a big class code for all its sub-classes
    area: str | None = None  # district, street, community or grid code; None: anywhere
    department: str
    priority: int = 0
    effective_from: date = BEGINNING
    effective_to: date | None = None  # exclusive; None: until further notice

    @model_validator(mode="after")
    def _dates(self) -> "RoutingRule":
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def covers(self, category: str, grid: str) -> bool:
        category_matches = self.category == category or self.category == class_of(category)
        return category_matches and (self.area is None or contains(self.area, grid))

    def describe(self) -> str:
        where = "anywhere" if self.area is None else f"{area_level(self.area)} {self.area}"
        what = "big class" if CLASS_CODE.match(self.category) else "category"
        return f"{what} {self.category} in {where}"


def precedence(rule: RoutingRule, category: str) -> tuple[bool, int, int, int, int, str]:
    """Sort key, best first (see the module docstring)."""
    return (
        rule.category != category,  # a sub-class rule first
        -len(rule.area or ""),  # the smallest area first
        -rule.priority,
        -rule.effective_from.toordinal(),
        -rule.version,
        rule.rule_id,
    )


def candidates(
    *, rules: list[RoutingRule], category: str, grid: str, on: date
) -> list[RoutingRule]:
    """The rules in force on `on` that cover this category in this grid, best first."""
    matching = [r for r in rules if r.in_force(on) and r.covers(category, grid)]
    return sorted(matching, key=lambda r: precedence(r, category))


def route(*, rules: list[RoutingRule], category: str, grid: str, on: date) -> RoutingDecision:
    """The department for this category in this grid on this day, and the rule that says so."""
    ranked = candidates(rules=rules, category=category, grid=grid, on=on)
    if not ranked:
        return RoutingDecision(
            department=None,
            rule_id=None,
            reason=f"no routing rule for category {category} in grid {grid} on {on.isoformat()}",
        )
    best = ranked[0]
    beaten = f"; beats {len(ranked) - 1} other matching rule(s)" if len(ranked) > 1 else ""
    return RoutingDecision(
        department=best.department,
        rule_id=best.rule_id,
        rule_version=best.version,
        reason=f"rule {best.rule_id} v{best.version}: {best.describe()} → {best.department}"
        f"{beaten}",
    )
