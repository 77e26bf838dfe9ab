"""A year's holiday notice and the running tickets: the dry run (which deadlines it would move
and by how much) and the progress of carrying it out (docs/deadlines.md, *Provisional years*).
Loading itself is PUT /admin/calendar/{year} (api/routes/calendar.py), which starts the
re-dating through `start_redating`."""

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ConfigReaderUser, SessionDep, SettingsDep, TemporalClient
from api.errors import ApiError, invalid
from api.schemas import CalendarSource
from domain.calendar_notice import NoticeInput, NoticeProgress, YearDays, notice_workflow_id
from readmodel.reference import calendar_store
from readmodel.reference.calendar_check import CrossCheck, cross_check
from readmodel.reference.calendar_store import CalendarLoadError, build_calendar, check_year
from readmodel.tickets.redating import TicketRedate, plan_page
from settings import Settings
from workflows.calendar_notice import CalendarNoticeWorkflow

router = APIRouter(tags=["calendar"])
Year = Annotated[int, Path(ge=2000, le=2200)]
LISTED = 500  # tickets a dry run lists; its totals count them all


class CalendarYearBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[date] = Field(
        max_length=366, description="days off, weekends in a holiday period included, as published"
    )
    workdays: list[date] = Field(max_length=366, description="make-up workdays (调休)")
    source: CalendarSource = Field(examples=["国务院办公厅 2026-11 通知"])


class RedatingStarted(BaseModel):
    workflow_id: str
    progress_url: str


class RedatePreview(BaseModel):
    year: int
    was_provisional: bool  # the year was dated on the statutory rules until now
    tickets: list[TicketRedate] = Field(description=f"the first {LISTED}, by ticket id")
    tickets_total: int  # running tickets with a deadline that changes
    moved_total: int  # of them, those with a due that moves (the rest only lose the mark)
    truncated: bool
    cross_check: list[CrossCheck] = Field(
        description="the notice against what chinesecalendar and the statutory rules know"
    )


async def preview_notice(
    *, session: SessionDep, config: Settings, year: int, days: dict
) -> RedatePreview:
    official = await calendar_store.official_days(session=session)
    was_provisional = year not in official.years
    old = build_calendar(official, working_hours=config.working_hours)
    new = build_calendar(official.with_year(year, days), working_hours=config.working_hours)
    listed: list[TicketRedate] = []
    total = moved = 0
    after: str | None = None
    now = datetime.now(UTC)
    while True:
        page = await plan_page(
            session=session,
            old=old,
            new=new,
            now=now,
            only_provisional=was_provisional,
            after=after,
        )
        for ticket in page.tickets:
            total += 1
            moved += any(c.moved for c in ticket.changes)
            if len(listed) < LISTED:
                listed.append(ticket)
        if page.next_after is None:
            break
        after = page.next_after
    return RedatePreview(
        year=year,
        was_provisional=was_provisional,
        tickets=listed,
        tickets_total=total,
        moved_total=moved,
        truncated=total > len(listed),
        cross_check=cross_check(year, days),
    )


async def start_redating(
    client: Client, config: Settings, *, notice: NoticeInput, days: dict
) -> RedatingStarted:
    """One workflow per year and notice content: loading the same notice again re-dates once."""
    digest = hashlib.sha256(
        json.dumps(sorted((d.isoformat(), on) for d, on in days.items())).encode()
        + notice.loaded_at.isoformat().encode()
    ).hexdigest()
    workflow_id = notice_workflow_id(notice.year, digest)
    await client.start_workflow(
        CalendarNoticeWorkflow.run,
        args=[notice, None],
        id=workflow_id,
        task_queue=config.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"re-date running tickets on the {notice.year} holiday notice",
    )
    return RedatingStarted(
        workflow_id=workflow_id, progress_url=f"/api/v1/admin/calendar/redating/{workflow_id}"
    )


def previous_of(schedule: calendar_store.YearSchedule | None) -> YearDays | None:
    return YearDays(holidays=schedule.holidays, workdays=schedule.workdays) if schedule else None


@router.post("/admin/calendar/{year}/dry-run", response_model=RedatePreview)
async def dry_run(
    year: Year,
    body: CalendarYearBody,
    user: ConfigReaderUser,
    session: SessionDep,
    config: SettingsDep,
) -> RedatePreview:
    """Which running tickets loading this notice would re-date, and by how much; changes nothing
    (supervisors and admins)."""
    try:
        days = check_year(year=year, holidays=body.holidays, workdays=body.workdays)
    except CalendarLoadError as err:
        raise invalid(err.field, err.message) from err
    return await preview_notice(session=session, config=config, year=year, days=days)


@router.get("/admin/calendar/redating/{workflow_id}", response_model=NoticeProgress)
async def redating_progress(
    workflow_id: Annotated[str, Path(pattern=r"^calendar-notice-\d{4}-[0-9a-f]{16}$")],
    user: ConfigReaderUser,
    client: TemporalClient,
) -> NoticeProgress:
    """How far a notice's re-dating has come (supervisors and admins)."""
    handle = client.get_workflow_handle_for(CalendarNoticeWorkflow.run, workflow_id)
    try:
        return await handle.query(CalendarNoticeWorkflow.progress)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, f"no re-dating {workflow_id}") from None
        raise
