"""Reports stored, read and listed."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from readmodel.reports.figures import ReportContent
from readmodel.reports.tables import Report
from readmodel.tickets.projection import _insert, _table


async def save(*, session: AsyncSession, content: ReportContent) -> None:
    """Insert the report, or replace the row of the same id (a report compiled again). The
    caller commits."""
    values = {
        "report_id": content.report_id,
        "kind": content.kind.value,
        "period_start": content.period_start,
        "period_end": content.period_end,
        "title": content.title,
        "compiled_at": content.compiled_at,
        "content": content.model_dump(mode="json"),
    }
    stmt = _insert(session, _table(Report)).values(values)
    await session.exec(
        stmt.on_conflict_do_update(
            index_elements=["report_id"],
            set_={k: v for k, v in values.items() if k != "report_id"},
        )
    )


async def get(*, session: AsyncSession, report_id: str) -> ReportContent | None:
    row = await session.get(Report, report_id)
    return None if row is None else ReportContent.model_validate(row.content)


class ReportSummary(BaseModel):
    """A report in a list: what it is, not its figures."""

    model_config = ConfigDict(from_attributes=True)
    report_id: str
    kind: str
    title: str
    period_start: date
    period_end: date  # exclusive
    compiled_at: datetime


async def listing(
    *, session: AsyncSession, kind: str | None, limit: int, offset: int
) -> tuple[list[ReportSummary], int]:
    """Newest period first, a kind's or all; the content is not read."""
    where = [col(Report.kind) == kind] if kind else []
    total = (await session.exec(select(func.count()).select_from(Report).where(*where))).one()
    rows = (
        await session.exec(
            select(Report)
            .options(defer(Report.content))  # type: ignore[arg-type]
            .where(*where)
            .order_by(col(Report.period_end).desc(), col(Report.kind), col(Report.report_id))
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return [ReportSummary.model_validate(r) for r in rows], int(total)
