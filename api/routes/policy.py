"""The deadline policy as data: view it, and change per-category rules without a redeploy."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminUser, ConfigReaderUser, SessionDep, SettingsDep
from api.errors import ApiError, invalid
from domain.policy import PolicyRule
from domain.states import DeadlineStage, Unit, Urgency
from readmodel.reference import policy_store
from readmodel.reference.policy_store import DeadlineRuleError, DeadlineRuleNotFound

router = APIRouter(prefix="/admin/deadline-rules", tags=["deadline policy"])


class RuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: DeadlineStage
    amount: float = Field(strict=True, gt=0, le=10_000, allow_inf_nan=False)
    unit: Unit
    category: str | None = Field(default=None, max_length=64)
    urgency: Urgency | None = None


class RulePublic(RuleBody):
    id: int


class PolicyPublic(BaseModel):
    defaults: list[PolicyRule] = Field(description="from configuration (GRIDFLOW_DEADLINE_POLICY)")
    rules: list[RulePublic] = Field(description="table rows; they win over the defaults")
    warning_fractions: list[float]
    escalation_delays_hours: list[float]
    reminder_interval_hours: float
    max_extension_working_days: int


@router.get("", response_model=PolicyPublic)
async def show_policy(
    user: ConfigReaderUser, session: SessionDep, config: SettingsDep
) -> PolicyPublic:
    """The policy new deadlines are dated with (supervisors and admins)."""
    policy = config.deadline_policy
    rows = await policy_store.list_rules(session=session)
    return PolicyPublic(
        defaults=policy.rules,
        rules=[RulePublic.model_validate(r, from_attributes=True) for r in rows],
        warning_fractions=policy.warning_fractions,
        escalation_delays_hours=[d.total_seconds() / 3600 for d in policy.escalation_delays],
        reminder_interval_hours=policy.reminder_interval.total_seconds() / 3600,
        max_extension_working_days=policy.max_extension_working_days,
    )


@router.post("", response_model=RulePublic, status_code=201)
async def add_rule(body: RuleBody, user: AdminUser, session: SessionDep) -> RulePublic:
    """Add a rule; it applies to deadlines opened from now on, never to running ones (admins)."""
    try:
        row = await policy_store.add_rule(session=session, rule=PolicyRule(**body.model_dump()))
    except DeadlineRuleError as err:
        raise invalid(err.field, err.message) from None
    return RulePublic.model_validate(row, from_attributes=True)


@router.delete("/{rule_id}", status_code=204)
async def delete_rule(
    rule_id: Annotated[int, Path(ge=1)], user: AdminUser, session: SessionDep
) -> None:
    """Remove a rule; the next most specific rule applies again (admins)."""
    try:
        await policy_store.delete_rule(session=session, rule_id=rule_id)
    except DeadlineRuleNotFound as err:
        raise ApiError(404, str(err)) from None
