"""The deadline policy's preview: "a C0201 report filed now is due when, per stage" — the limit
each stage gets (configured default or table rule), dated on the working calendar from `start`."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import ConfigReaderUser, SessionDep, SettingsDep
from api.errors import invalid
from domain.calendar import SHANGHAI, CalendarUnknownYear
from domain.states import DeadlineStage, Unit, Urgency
from readmodel.reference import calendar_store, catalogue_store, policy_store

router = APIRouter(prefix="/admin/deadline-rules", tags=["deadline policy"])


class StagePreview(BaseModel):
    stage: DeadlineStage
    amount: float
    unit: Unit
    from_table: bool = Field(description="a table rule changes it from the configured default")
    due_at: datetime | None = Field(description="in Asia/Shanghai; null: the calendar lacks it")
    provisional: bool = False


class PolicyPreview(BaseModel):
    category: str
    urgency: Urgency
    start: datetime
    stages: list[StagePreview] = Field(description="each counted from `start`")


@router.get("/preview", response_model=PolicyPreview)
async def preview_policy(
    user: ConfigReaderUser,
    session: SessionDep,
    config: SettingsDep,
    category: Annotated[str, Query(min_length=1, max_length=16, description="a sub-class code")],
    urgency: Urgency = Urgency.NORMAL,
    start: Annotated[AwareDatetime | None, Query(description="default now")] = None,
) -> PolicyPreview:
    """When a report of `category` filed at `start` would be due, stage by stage (supervisors
    and admins)."""
    if await catalogue_store.category(session=session, code=category) is None:
        raise invalid("category", f"unknown category '{category}'")
    start = start or datetime.now(UTC)
    rules = await policy_store.rules_for(session=session, category=category)
    calendar = await calendar_store.load_calendar(
        session=session, working_hours=config.working_hours
    )
    stages = []
    for stage in DeadlineStage:
        limit = config.deadline_policy.limit_for(
            stage, category=category, urgency=urgency, extra_rules=rules
        )
        default = config.deadline_policy.limit_for(stage, category=category, urgency=urgency)
        try:
            due = calendar.add(start, limit.amount, limit.unit)
        except CalendarUnknownYear:
            due = None
        stages.append(
            StagePreview(
                stage=stage,
                amount=limit.amount,
                unit=limit.unit,
                from_table=(limit.amount, limit.unit) != (default.amount, default.unit),
                due_at=due.astimezone(SHANGHAI) if due else None,
                provisional=due is not None
                and limit.unit is not Unit.HOURS
                and calendar.provisional_between(start, due),
            )
        )
    return PolicyPreview(category=category, urgency=urgency, start=start, stages=stages)
