"""Routing rules in the read model: decide, list, add, change (a new version), end.

Shared by the route_ticket activity, the admin API and `python -m gridflow_admin routing`.
Rules change from today on (Asia/Shanghai calendar days): a new rule or version may not start in
the past, so a rule's dates never claim it applied on a day it did not.
"""

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.calendar import SHANGHAI
from domain.categories import class_of
from domain.models import RoutingDecision
from domain.routing import RoutingRule, area_level, candidates, route
from readmodel.reference.tables import Category, CategoryClass, Department, Grid, RoutingRuleRow

RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


def today() -> date:
    return datetime.now(SHANGHAI).date()


class RoutingRuleError(ValueError):
    """Refused input, naming the field (the API answers 422, the CLI exits 2)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class RuleNotFound(LookupError):
    pass


class RuleConflict(RuntimeError):
    """The rule changed meanwhile (a concurrent version), or it already ended."""


class RuleSpec(BaseModel):
    """What a new rule, or a new version of one, says."""

    model_config = ConfigDict(extra="forbid")
    category: str = Field(
        min_length=1,
        max_length=16,
        description="a sub-class code (E0101) or a big class code (E01)",
    )
    area: str | None = Field(
        default=None,
        max_length=32,
        description="a district, street, community or grid code; null: anywhere",
    )
    department: str = Field(min_length=1, max_length=64)
    priority: int = Field(
        default=0,
        ge=-1000,
        le=1000,
        description="breaks ties between equally specific rules; higher wins",
    )
    effective_from: date | None = Field(
        default=None, description="first day in force (default today)"
    )
    effective_to: date | None = Field(
        default=None, description="first day no longer in force; null: open-ended"
    )
    note: str | None = Field(default=None, max_length=500)


def to_rule(row: RoutingRuleRow) -> RoutingRule:
    return RoutingRule(
        rule_id=row.rule_id,
        version=row.version,
        category=row.category,
        area=row.area,
        department=row.department,
        priority=row.priority,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
    )


def status_of(row: RoutingRuleRow, on: date) -> str:
    """in_force / scheduled (starts later) / ended (on or before `on`)."""
    if row.effective_to is not None and row.effective_to <= on:
        return "ended"
    return "scheduled" if row.effective_from > on else "in_force"


async def _rows_for(session: AsyncSession, category: str) -> list[RoutingRuleRow]:
    """Every version of the rules naming this category or its big class."""
    names = [category] + ([cls] if (cls := class_of(category)) else [])
    return list(
        (
            await session.exec(
                select(RoutingRuleRow).where(col(RoutingRuleRow.category).in_(names))
            )
        ).all()
    )


async def rules_for(*, session: AsyncSession, category: str) -> list[RoutingRule]:
    return [to_rule(r) for r in await _rows_for(session, category)]


async def decide(*, session: AsyncSession, category: str, grid: str, on: date) -> RoutingDecision:
    """The routing decision for a ticket of this category in this grid on this day."""
    return route(
        rules=await rules_for(session=session, category=category),
        category=category,
        grid=grid,
        on=on,
    )


async def ranked(
    *, session: AsyncSession, category: str, grid: str, on: date
) -> list[RoutingRuleRow]:
    """The rules that cover it on that day, best first (the routing preview)."""
    rows = {(r.rule_id, r.version): r for r in await _rows_for(session, category)}
    best = candidates(
        rules=[to_rule(r) for r in rows.values()], category=category, grid=grid, on=on
    )
    return [rows[r.rule_id, r.version] for r in best]


async def list_rules(
    *,
    session: AsyncSession,
    on: date,
    history: bool = False,
    category: str | None = None,
    area: str | None = None,
    department: str | None = None,
) -> list[RoutingRuleRow]:
    """Rules not ended on `on` (in force or scheduled); with `history`, every version."""
    query = select(RoutingRuleRow)
    if not history:
        query = query.where(
            or_(col(RoutingRuleRow.effective_to).is_(None), col(RoutingRuleRow.effective_to) > on)
        )
    if category:
        query = query.where(RoutingRuleRow.category == category)
    if area:
        query = query.where(RoutingRuleRow.area == area)
    if department:
        query = query.where(RoutingRuleRow.department == department)
    query = query.order_by(
        col(RoutingRuleRow.category), col(RoutingRuleRow.rule_id), col(RoutingRuleRow.version)
    )
    return list((await session.exec(query)).all())


async def versions(*, session: AsyncSession, rule_id: str) -> list[RoutingRuleRow]:
    rows = (
        await session.exec(
            select(RoutingRuleRow)
            .where(RoutingRuleRow.rule_id == rule_id)
            .order_by(col(RoutingRuleRow.version))
        )
    ).all()
    if not rows:
        raise RuleNotFound(f"no routing rule {rule_id}")
    return list(rows)


async def known_areas(session: AsyncSession) -> set[str]:
    """Every district, street, community and grid code of the map."""
    areas: set[str] = set()
    for grid in (await session.exec(select(Grid))).all():
        areas |= {grid.code, grid.community, grid.street, grid.district}
    return areas


async def _check(session: AsyncSession, spec: RuleSpec, on: date) -> tuple[date, date | None]:
    """Refuse unknown names and impossible dates; returns (effective_from, effective_to)."""
    if (
        await session.get(Category, spec.category) is None
        and await session.get(CategoryClass, spec.category) is None
    ):
        raise RoutingRuleError("category", f"unknown category or big class '{spec.category}'")
    if spec.area is not None and spec.area not in await known_areas(session):
        raise RoutingRuleError(
            "area", f"unknown area '{spec.area}' (a district, street, community or grid code)"
        )
    if await session.get(Department, spec.department) is None:
        raise RoutingRuleError("department", f"unknown department '{spec.department}'")
    start = spec.effective_from or on
    if start < on:
        raise RoutingRuleError(
            "effective_from", f"{start} is in the past; rules change from today ({on}) on"
        )
    if spec.effective_to is not None and spec.effective_to <= start:
        raise RoutingRuleError(
            "effective_to", f"{spec.effective_to} is not after effective_from {start}"
        )
    return start, spec.effective_to


async def _new_rule_id(session: AsyncSession, spec: RuleSpec) -> str:
    base = f"R-{spec.category}" + (f"-{spec.area}" if spec.area else "-any")
    taken = set(
        (
            await session.exec(
                select(RoutingRuleRow.rule_id).where(
                    col(RoutingRuleRow.rule_id).startswith(base, autoescape=True)
                )
            )
        ).all()
    )
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


async def _commit(session: AsyncSession, what: str) -> None:
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise RuleConflict(f"{what} changed meanwhile; read it again and retry") from None


async def add_rule(
    *, session: AsyncSession, spec: RuleSpec, actor: str, on: date, rule_id: str | None = None
) -> RoutingRuleRow:
    """A new rule, version 1."""
    start, end = await _check(session, spec, on)
    if rule_id is not None:
        if (
            await session.exec(select(RoutingRuleRow.id).where(RoutingRuleRow.rule_id == rule_id))
        ).first():
            raise RuleConflict(f"routing rule {rule_id} exists; change it with a new version")
    rule_id = rule_id or await _new_rule_id(session, spec)
    row = RoutingRuleRow(
        rule_id=rule_id,
        version=1,
        category=spec.category,
        area=spec.area,
        department=spec.department,
        priority=spec.priority,
        effective_from=start,
        effective_to=end,
        note=spec.note,
        created_at=datetime.now(UTC),
        created_by=actor,
    )
    session.add(row)
    await _commit(session, f"routing rule {rule_id}")
    await session.refresh(row)
    return row


async def change_rule(
    *, session: AsyncSession, rule_id: str, spec: RuleSpec, actor: str, on: date
) -> RoutingRuleRow:
    """Version n+1 of the rule, from `spec.effective_from` (default today); version n ends then."""
    latest = (await versions(session=session, rule_id=rule_id))[-1]
    start, end = await _check(session, spec, on)
    now = datetime.now(UTC)
    if latest.effective_to is None or latest.effective_to > start:
        latest.effective_to = max(start, latest.effective_from)
        latest.ended_at, latest.ended_by = now, actor
        session.add(latest)
    row = RoutingRuleRow(
        rule_id=rule_id,
        version=latest.version + 1,
        category=spec.category,
        area=spec.area,
        department=spec.department,
        priority=spec.priority,
        effective_from=start,
        effective_to=end,
        note=spec.note,
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    await _commit(session, f"routing rule {rule_id}")
    await session.refresh(row)
    return row


async def end_rule(*, session: AsyncSession, rule_id: str, actor: str, on: date) -> RoutingRuleRow:
    """End the rule's latest version today: from today on it routes nothing."""
    latest = (await versions(session=session, rule_id=rule_id))[-1]
    if latest.effective_to is not None and latest.effective_to <= on:
        raise RuleConflict(f"routing rule {rule_id} already ended on {latest.effective_to}")
    latest.effective_to = max(on, latest.effective_from)
    latest.ended_at, latest.ended_by = datetime.now(UTC), actor
    session.add(latest)
    await _commit(session, f"routing rule {rule_id}")
    await session.refresh(latest)
    return latest


async def seed_rules(*, session: AsyncSession, rules: list[RoutingRule]) -> int:
    """Insert the rules whose rule_id the table does not know yet (any version): an admin's
    changes and endings are never overwritten. Returns how many were added; no commit."""
    have = set((await session.exec(select(RoutingRuleRow.rule_id).distinct())).all())
    now = datetime.now(UTC)
    new = [r for r in rules if r.rule_id not in have]
    session.add_all(
        RoutingRuleRow(**r.model_dump(), created_at=now, created_by="seed") for r in new
    )
    return len(new)


def describe(row: RoutingRuleRow, on: date) -> str:
    """One line for the CLI."""
    where = f"{area_level(row.area)} {row.area}" if row.area else "anywhere"
    until = row.effective_to.isoformat() if row.effective_to else "…"
    return (
        f"{row.rule_id} v{row.version} [{status_of(row, on)}] {row.category} in {where} → "
        f"{row.department} (priority {row.priority}; {row.effective_from.isoformat()} to "
        f"{until})" + (f" — {row.note}" if row.note else "")
    )
