"""China's working calendar: preview a deadline, load a year's official schedule (supervisors)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import AdminUser, ConfigReaderUser, SessionDep, SettingsDep, TemporalClient
from api.errors import ApiError, invalid
from api.routes.calendar_notice import (
    CalendarYearBody,
    RedatingStarted,
    previous_of,
    start_redating,
)
from domain.calendar import SHANGHAI, CalendarUnknownYear
from domain.calendar_notice import NoticeInput, YearDays
from domain.states import Unit
from readmodel.reference import calendar_store
from readmodel.reference.calendar_store import CalendarLoadError, CalendarStatus, YearSchedule
from readmodel.tickets.redating import count_provisional

router = APIRouter(tags=["calendar"])
Year = Annotated[int, Path(ge=2000, le=2200)]


class DeadlinePreview(BaseModel):
    start: datetime
    amount: float
    unit: Unit
    due_at: datetime = Field(description="in Asia/Shanghai")
    timezone: str = "Asia/Shanghai"
    provisional: bool = Field(
        description="counted across a year whose official holiday notice is not loaded yet (the "
        "statutory rules stood in): it may move when the notice is loaded"
    )


@router.get("/calendar/deadline", response_model=DeadlinePreview)
async def deadline_preview(
    user: ConfigReaderUser,
    session: SessionDep,
    config: SettingsDep,
    start: Annotated[
        AwareDatetime, Query(description="ISO instant with offset, e.g. 2025-09-30T16:00:00+08:00")
    ],
    amount: Annotated[float, Query(ge=0, le=100_000, allow_inf_nan=False)],
    unit: Unit,
) -> DeadlinePreview:
    """When a deadline of `amount` `unit` from `start` falls due on China's working calendar
    (supervisors and admins)."""
    if unit is Unit.WORKING_DAYS and amount != int(amount):
        raise invalid("amount", "working_days must be a whole number")
    calendar = await calendar_store.load_calendar(
        session=session, working_hours=config.working_hours
    )
    try:
        due = calendar.add(start, amount, unit)
    except CalendarUnknownYear as err:
        raise ApiError(422, str(err), code="calendar_year_unknown", year=err.year) from err
    except OverflowError as err:
        raise invalid("amount", "the deadline would fall after the year 9999") from err
    return DeadlinePreview(
        start=start,
        amount=amount,
        unit=unit,
        due_at=due.astimezone(SHANGHAI),
        provisional=unit is not Unit.HOURS and calendar.provisional_between(start, due),
    )


@router.get("/admin/calendar", response_model=CalendarStatus)
async def calendar_overview(user: ConfigReaderUser, session: SessionDep) -> CalendarStatus:
    """The years deadlines are dated in: official ones as loaded (from last year on) and the
    provisional ones after them, with the open tickets a notice may re-date (supervisors and
    admins)."""
    return await calendar_store.calendar_status(
        session=session,
        today=datetime.now(SHANGHAI).date(),
        open_tickets_provisional=await count_provisional(session=session),
    )


@router.get("/admin/calendar/{year}", response_model=YearSchedule)
async def get_calendar_year(
    year: Year, user: ConfigReaderUser, session: SessionDep
) -> YearSchedule:
    """A loaded year's holidays and make-up workdays (supervisors and admins)."""
    schedule = await calendar_store.year_schedule(session=session, year=year)
    if schedule is None:
        raise ApiError(
            404, f"calendar has no data for {year}; load it with PUT /api/v1/admin/calendar/{year}"
        )
    return schedule


class CalendarYearLoaded(YearSchedule):
    redating: RedatingStarted = Field(
        description="the running tickets' re-dating on this notice, in the background"
    )


@router.put("/admin/calendar/{year}", response_model=CalendarYearLoaded)
async def put_calendar_year(
    year: Year,
    body: CalendarYearBody,
    user: AdminUser,
    session: SessionDep,
    config: SettingsDep,
    client: TemporalClient,
) -> CalendarYearLoaded:
    """Load or replace a year's official schedule, no redeploy needed (admins). The running
    tickets whose deadlines it moves are re-dated through their workflows in the background
    (POST …/dry-run first says which; `redating.progress_url` says how far it has come)."""
    previous = previous_of(await calendar_store.year_schedule(session=session, year=year))
    try:
        loaded = await calendar_store.load_year(
            session=session,
            year=year,
            holidays=body.holidays,
            workdays=body.workdays,
            source=body.source,
        )
    except CalendarLoadError as err:
        raise invalid(err.field, err.message) from err
    notice = NoticeInput(
        year=year,
        source=body.source,
        loaded_by=user.user_id,
        loaded_at=loaded.loaded_at,
        previous=previous,
    )
    started = await start_redating(
        client,
        config,
        notice=notice,
        days=YearDays(holidays=body.holidays, workdays=body.workdays).days(),
    )
    return CalendarYearLoaded(**loaded.model_dump(), redating=started)
