"""Routing as data: (category, area) -> department; the most specific matching rule wins."""
from pydantic import BaseModel

from domain.models import RoutingDecision


class RoutingRule(BaseModel):
    rule_id: str
    version: int = 1
    category: str
    grid: str | None = None  # None: any grid
    department: str


def route(*, rules: list[RoutingRule], category: str, grid: str) -> RoutingDecision:
    """Pick the rule for this category in this grid; a grid-specific rule beats a city-wide one."""
    matching = [r for r in rules if r.category == category and r.grid in (None, grid)]
    if not matching:
        return RoutingDecision(
            department=None,
            rule_id=None,
            reason=f"no routing rule for category {category} in grid {grid}",
        )
    best = sorted(matching, key=lambda r: (r.grid is None, r.rule_id))[0]
    scope = f"grid {grid}" if best.grid else "any grid"
    return RoutingDecision(
        department=best.department,
        rule_id=best.rule_id,
        rule_version=best.version,
        reason=f"rule {best.rule_id} v{best.version}: {category} in {scope}",
    )
