"""Routing rules as data: supervisors change them without a redeploy; anyone may preview a route.

A change never moves a ticket already routed: its decision (rule id and version) is in its
workflow's history. It applies to tickets routed from the day it takes effect (today by default).
"""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminUser, ConfigReaderUser, CurrentUser, SessionDep
from api.errors import ApiError, invalid
from api.schemas import RuleNote
from domain.models import RoutingDecision
from domain.routing import area_level
from readmodel.reference import catalogue_store, map_store, routing_store
from readmodel.reference.routing_store import (
    RULE_ID_PATTERN,
    RoutingRuleError,
    RuleConflict,
    RuleNotFound,
    RuleSpec,
)
from readmodel.reference.tables import RoutingRuleRow

router = APIRouter(tags=["routing rules"])
RuleId = Annotated[str, Path(pattern=RULE_ID_PATTERN)]


class RuleCreate(RuleSpec):
    rule_id: str | None = Field(
        default=None, pattern=RULE_ID_PATTERN, description="default: R-<category>-<area or any>"
    )
    priority: int = Field(
        default=0,
        strict=True,
        ge=-1000,
        le=1000,
        description="breaks ties between equally specific rules; higher wins",
    )
    note: RuleNote | None = None


class RuleChange(BaseModel):
    """A new version: the fields left out keep the current version's values."""

    model_config = ConfigDict(extra="forbid")
    category: str | None = Field(default=None, min_length=1, max_length=16)
    area: str | None = Field(default=None, max_length=32, description="null: anywhere")
    department: str | None = Field(default=None, min_length=1, max_length=64)
    priority: int | None = Field(default=None, strict=True, ge=-1000, le=1000)
    effective_from: date | None = Field(default=None, description="default today")
    effective_to: date | None = Field(default=None, description="default open-ended")
    note: RuleNote | None = None


class RulePublic(BaseModel):
    rule_id: str
    version: int
    status: str = Field(description="in_force, scheduled (starts later) or ended")
    category: str
    area: str | None
    area_level: str = Field(description="district, street, community, grid or any")
    department: str
    priority: int
    effective_from: date
    effective_to: date | None = Field(description="first day no longer in force")
    note: str | None
    created_at: datetime
    created_by: str
    ended_at: datetime | None
    ended_by: str | None

    @classmethod
    def of(cls, row: RoutingRuleRow, on: date) -> "RulePublic":
        return cls(
            **row.model_dump(exclude={"id"}),
            status=routing_store.status_of(row, on),
            area_level=area_level(row.area),
        )


class RoutingPreview(BaseModel):
    on: date
    category: str
    grid: str
    decision: RoutingDecision
    candidates: list[RulePublic] = Field(description="the rules that cover it, best first")


def _refused(err: Exception) -> ApiError:
    if isinstance(err, RoutingRuleError):
        return invalid(err.field, err.message)
    if isinstance(err, RuleNotFound):
        return ApiError(404, str(err))
    return ApiError(409, str(err))


@router.get("/admin/routing-rules", response_model=list[RulePublic])
async def list_rules(
    user: ConfigReaderUser,
    session: SessionDep,
    history: Annotated[bool, Query(description="also the ended versions")] = False,
    category: Annotated[str | None, Query(max_length=16)] = None,
    area: Annotated[str | None, Query(max_length=32)] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> list[RulePublic]:
    """The rules in force or scheduled (supervisors and admins); `history=true` adds every ended
    version."""
    on = routing_store.today()
    rows = await routing_store.list_rules(
        session=session, on=on, history=history, category=category, area=area, department=department
    )
    return [RulePublic.of(r, on) for r in rows]


@router.get("/admin/routing-rules/{rule_id}", response_model=list[RulePublic])
async def rule_versions(
    rule_id: RuleId, user: ConfigReaderUser, session: SessionDep
) -> list[RulePublic]:
    """Every version of one rule, oldest first (supervisors and admins)."""
    on = routing_store.today()
    try:
        rows = await routing_store.versions(session=session, rule_id=rule_id)
    except RuleNotFound as err:
        raise _refused(err) from None
    return [RulePublic.of(r, on) for r in rows]


@router.post("/admin/routing-rules", response_model=RulePublic, status_code=201)
async def add_rule(body: RuleCreate, user: AdminUser, session: SessionDep) -> RulePublic:
    """A new rule, version 1, in force from `effective_from` (default today; admins)."""
    on = routing_store.today()
    try:
        row = await routing_store.add_rule(
            session=session,
            spec=RuleSpec(**body.model_dump(exclude={"rule_id"})),
            actor=user.user_id,
            on=on,
            rule_id=body.rule_id,
        )
    except (RoutingRuleError, RuleConflict) as err:
        raise _refused(err) from None
    return RulePublic.of(row, on)


@router.put("/admin/routing-rules/{rule_id}", response_model=RulePublic)
async def change_rule(
    rule_id: RuleId, body: RuleChange, user: AdminUser, session: SessionDep
) -> RulePublic:
    """A new version of the rule from `effective_from` (default today); the current version
    stays on record, ended that day. Fields left out keep their values (admins)."""
    on = routing_store.today()
    try:
        latest = (await routing_store.versions(session=session, rule_id=rule_id))[-1]
        given = body.model_dump(exclude_unset=True)
        spec = RuleSpec(
            category=given.get("category") or latest.category,
            area=given["area"] if "area" in given else latest.area,
            department=given.get("department") or latest.department,
            priority=given["priority"] if given.get("priority") is not None else latest.priority,
            effective_from=body.effective_from,
            effective_to=body.effective_to,
            note=body.note,
        )
        row = await routing_store.change_rule(
            session=session, rule_id=rule_id, spec=spec, actor=user.user_id, on=on
        )
    except (RoutingRuleError, RuleConflict, RuleNotFound) as err:
        raise _refused(err) from None
    return RulePublic.of(row, on)


@router.delete("/admin/routing-rules/{rule_id}", response_model=RulePublic)
async def end_rule(rule_id: RuleId, user: AdminUser, session: SessionDep) -> RulePublic:
    """End the rule today: from today it routes nothing, and the next most specific rule (or
    the manual dispatch queue) takes over. The ended version stays on record (admins)."""
    on = routing_store.today()
    try:
        row = await routing_store.end_rule(
            session=session, rule_id=rule_id, actor=user.user_id, on=on
        )
    except (RuleConflict, RuleNotFound) as err:
        raise _refused(err) from None
    return RulePublic.of(row, on)


@router.get("/routing/preview", response_model=RoutingPreview)
async def preview(
    _: CurrentUser,
    session: SessionDep,
    category: Annotated[str, Query(min_length=1, max_length=16, description="a sub-class code")],
    grid: Annotated[str, Query(min_length=1, max_length=32, description="a grid code")],
    on: Annotated[date | None, Query(description="the day to route on (default today)")] = None,
) -> RoutingPreview:
    """Where a ticket of this category in this grid would go, by which rule, and which others
    cover it (any signed-in user)."""
    if await catalogue_store.category(session=session, code=category) is None:
        raise invalid("category", f"unknown category '{category}'")
    if await map_store.grid(session=session, code=grid) is None:
        raise invalid("grid", f"unknown grid '{grid}'")
    day = on or routing_store.today()
    decision = await routing_store.decide(session=session, category=category, grid=grid, on=day)
    ranked = await routing_store.ranked(session=session, category=category, grid=grid, on=day)
    return RoutingPreview(
        on=day,
        category=category,
        grid=grid,
        decision=decision,
        candidates=[RulePublic.of(r, day) for r in ranked],
    )
