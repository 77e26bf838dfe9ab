"""How long each stage may take, in working days: data with defaults, overridable per category."""
from pydantic import BaseModel, Field

from domain.states import DeadlineStage


class StageLimits(BaseModel):
    dispatch: int = Field(default=1, ge=1)
    claim: int = Field(default=1, ge=1)
    verify: int = Field(default=3, ge=1)  # counted from dispatch, not from claim
    write_off: int = Field(default=1, ge=1)
    rework: int = Field(default=3, ge=1)

    def working_days(self, stage: DeadlineStage) -> int:
        if stage == DeadlineStage.RECTIFY:
            return self.rework
        return getattr(self, stage.value)


class DeadlinePolicy(BaseModel):
    default: StageLimits = Field(default_factory=StageLimits)
    by_category: dict[str, StageLimits] = Field(default_factory=dict)

    def limits_for(self, category: str) -> StageLimits:
        return self.by_category.get(category, self.default)
