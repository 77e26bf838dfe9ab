"""Field metrics for the command centre: per department or street over a period, JSON or CSV."""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import SessionDep, SupervisorArea
from api.errors import invalid
from readmodel.tickets.metrics import (
    CSV_COLUMNS,
    MAX_PERIOD_DAYS,
    GroupBy,
    MetricsReport,
    csv_record,
    ticket_metrics,
)

router = APIRouter(tags=["metrics"])


@dataclass
class Period:
    group_by: GroupBy
    date_from: date
    date_to: date


def period(
    date_from: Annotated[date, Query(alias="from", description="first day (Asia/Shanghai)")],
    date_to: Annotated[date, Query(alias="to", description="the day after the last (exclusive)")],
    group_by: Annotated[
        GroupBy, Query(description="one row per department or per street")
    ] = GroupBy.DEPARTMENT,
) -> Period:
    return Period(group_by=group_by, date_from=date_from, date_to=date_to)


PeriodDep = Annotated[Period, Depends(period)]


async def _report(area: str | None, session: SessionDep, p: Period) -> MetricsReport:
    if p.date_from > p.date_to:
        raise invalid("from", "must not be after to")
    if p.date_to - p.date_from > timedelta(days=MAX_PERIOD_DAYS):
        raise invalid("to", f"the period is at most {MAX_PERIOD_DAYS} days")
    return await ticket_metrics(
        session=session, group_by=p.group_by, date_from=p.date_from, date_to=p.date_to, area=area
    )


@router.get("/metrics", response_model=MetricsReport)
async def metrics(area: SupervisorArea, session: SessionDep, p: PeriodDep) -> MetricsReport:
    """Tickets submitted in [from, to) (Asia/Shanghai days), cancelled ones left out, per group:
    counts, 结案率 close rate, 按期结案率 on-time close rate, 返工率 rework rate, 延期率 extension
    rate (null when the denominator is 0), and per stage the mean and p90 (nearest rank) natural
    hours; plus the total. Supervisors only, over the tickets of their area."""
    return await _report(area, session, p)


@router.get(
    "/metrics.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per group"}},
)
async def metrics_csv(area: SupervisorArea, session: SessionDep, p: PeriodDep) -> Response:
    """The same figures as CSV (UTF-8 with a BOM, for Excel): one row per group, then `total`."""
    report = await _report(area, session, p)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in [*report.rows, report.total]:
        writer.writerow(csv_record(row))
    name = f"gridflow-metrics-{p.group_by.value}-{p.date_from}-{p.date_to}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
