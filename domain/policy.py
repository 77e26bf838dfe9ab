"""Deadline policy as data: per stage, per category and urgency, with overridable defaults."""

from collections.abc import Sequence
from datetime import timedelta

from pydantic import BaseModel, Field

from domain.models import AlarmPolicy
from domain.states import DeadlineStage, Unit, Urgency

Stage = DeadlineStage


class StageLimit(BaseModel):
    amount: float = Field(gt=0)
    unit: Unit


class PolicyRule(BaseModel):
    """One row of the policy table; None matches any category or urgency."""

    stage: DeadlineStage
    amount: float = Field(gt=0)
    unit: Unit
    category: str | None = None
    urgency: Urgency | None = None

    @property
    def specificity(self) -> int:
        return (self.category is not None) * 2 + (self.urgency is not None)


def _rule(stage: Stage, amount: float, unit: Unit, urgency: Urgency | None = None) -> PolicyRule:
    return PolicyRule(stage=stage, amount=amount, unit=unit, urgency=urgency)


WD, WH, H = Unit.WORKING_DAYS, Unit.WORKING_HOURS, Unit.HOURS
URGENT = Urgency.URGENT

DEFAULT_RULES: list[PolicyRule] = [
    _rule(Stage.DISPATCH, 1, WD),
    _rule(Stage.CLAIM, 1, WD),
    _rule(Stage.VERIFY, 3, WD),  # counted from dispatch, not from claim
    _rule(Stage.HANDLE, 10, WD),
    _rule(Stage.RECTIFY, 3, WD),  # rework after a refused write-off, unless the refusal says
    _rule(Stage.WRITE_OFF, 1, WD),
    # Urgent tickets run on natural hours, day and night.
    _rule(Stage.DISPATCH, 1, H, urgency=URGENT),
    _rule(Stage.CLAIM, 1, H, urgency=URGENT),
    _rule(Stage.VERIFY, 4, H, urgency=URGENT),
    _rule(Stage.HANDLE, 24, H, urgency=URGENT),
    _rule(Stage.RECTIFY, 24, H, urgency=URGENT),
    _rule(Stage.WRITE_OFF, 4, H, urgency=URGENT),
]


class DeadlinePolicy(BaseModel):
    rules: list[PolicyRule] = Field(default_factory=lambda: list(DEFAULT_RULES))
    warning_fractions: list[float] = Field(default_factory=lambda: [0.5, 0.8])
    escalation_delays: list[timedelta] = Field(
        default_factory=lambda: AlarmPolicy().escalation_delays
    )
    reminder_interval: timedelta = timedelta(hours=24)
    max_extension_working_days: int = Field(default=10, ge=0)

    def limit_for(
        self,
        stage: DeadlineStage,
        *,
        category: str,
        urgency: Urgency,
        extra_rules: Sequence[PolicyRule] = (),
    ) -> StageLimit:
        """The most specific rule wins: category+urgency, category, urgency, default."""
        candidates = [
            r
            for r in [*self.rules, *extra_rules]
            if r.stage == stage and r.category in (None, category) and r.urgency in (None, urgency)
        ]
        if not candidates:
            raise LookupError(f"no deadline rule for stage {stage}")
        top = max(r.specificity for r in candidates)
        best = [r for r in candidates if r.specificity == top][
            -1
        ]  # later rows (the table) win ties
        return StageLimit(amount=best.amount, unit=best.unit)

    def alarm_policy(self) -> AlarmPolicy:
        return AlarmPolicy(
            escalation_delays=self.escalation_delays,
            reminder_interval=self.reminder_interval,
            max_extension_working_days=self.max_extension_working_days,
        )
