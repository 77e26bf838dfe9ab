"""Tickets per day for the command centre's chart."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep, SupervisorArea
from api.errors import invalid
from readmodel.tickets.daily_metrics import DayCount, daily_counts
from readmodel.tickets.metrics import MAX_PERIOD_DAYS

router = APIRouter(tags=["metrics"])


@router.get("/metrics/daily", response_model=list[DayCount])
async def metrics_daily(
    area: SupervisorArea,
    session: SessionDep,
    date_from: Annotated[date, Query(alias="from", description="first day (Asia/Shanghai)")],
    date_to: Annotated[date, Query(alias="to", description="the day after the last (exclusive)")],
) -> list[DayCount]:
    """One row per day of [from, to) (Asia/Shanghai), zeros included: `submitted` reports
    (whatever became of them) and tickets `written_off` that day (supervisors: in their area)."""
    if date_from > date_to:
        raise invalid("from", "must not be after to")
    if date_to - date_from > timedelta(days=MAX_PERIOD_DAYS):
        raise invalid("to", f"the period is at most {MAX_PERIOD_DAYS} days")
    return await daily_counts(session=session, date_from=date_from, date_to=date_to, area=area)
