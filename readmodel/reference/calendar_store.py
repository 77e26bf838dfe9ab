"""The working calendar in the read model: seed China's schedule, load a year, build the calendar.

Stored are the published days only (holidays off, make-up workdays on, see calendar_tables); a
year counts as known once its row in work_calendar_year exists, written in the same transaction
as its days. Seeding uses chinesecalendar, which covers 2004-2026; later years are loaded by an
admin (`python -m gridflow_admin calendar load-year`, or PUT /api/v1/admin/calendar/{year}).
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import version
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, delete, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.calendar import SHANGHAI, ChinaWorkingCalendar
from readmodel.reference.calendar_tables import WorkCalendarDay, WorkCalendarYear

CHINA_YEARS = range(2004, 2027)
# Years after the last official one that deadlines are dated on the statutory rules
# (`statutory_schedule`) until their notice is loaded; a deadline beyond them stays undated.
PROVISIONAL_YEARS = 2


class CalendarLoadError(ValueError):
    """A schedule that cannot be loaded; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class CalendarYearStatus(BaseModel):
    year: int
    provisional: bool  # dated on the statutory rules until the year's notice is loaded
    source: str
    loaded_at: datetime | None = None


class CalendarStatus(BaseModel):
    """Which years deadlines can be dated in, and how many open tickets a notice may re-date."""

    years: list[CalendarYearStatus]  # the official years from last year on, then the provisional
    provisional_years: list[int]
    open_tickets_provisional: int = 0  # open tickets with a deadline dated on a provisional year


class YearSchedule(BaseModel):
    year: int
    source: str
    loaded_at: datetime
    holidays: list[date]
    workdays: list[date]
    working_days: int


def china_schedule(years: Iterable[int] = CHINA_YEARS) -> dict[date, tuple[bool, str]]:
    """China's published days per chinesecalendar: day -> (is_workday, note)."""
    from chinese_calendar import constants

    wanted = set(years)
    beyond = sorted(wanted - set(CHINA_YEARS))
    if beyond:
        raise CalendarLoadError(
            "years", f"chinesecalendar has no data for {beyond}; load those years with load_year"
        )
    days = {d: (False, name) for d, name in constants.holidays.items() if d.year in wanted}
    days |= {
        d: (True, f"{name} make-up workday (调休)")
        for d, name in constants.workdays.items()
        if d.year in wanted
    }
    return days


def check_year(
    *, year: int, holidays: Sequence[date], workdays: Sequence[date]
) -> dict[date, bool]:
    """The published days of one year, refusing dates of another year and days listed twice."""
    for field, days in (("holidays", holidays), ("workdays", workdays)):
        outside = sorted({d for d in days if d.year != year})
        if outside:
            raise CalendarLoadError(
                field, f"dates outside {year}: " + ", ".join(d.isoformat() for d in outside)
            )
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise CalendarLoadError(
            "workdays", "listed as holidays too: " + ", ".join(d.isoformat() for d in both)
        )
    return {d: False for d in holidays} | {d: True for d in workdays}


def _year_range(year: int) -> ColumnElement[bool]:
    return and_(
        col(WorkCalendarDay.day) >= date(year, 1, 1), col(WorkCalendarDay.day) <= date(year, 12, 31)
    )


async def _replace_years(
    session: AsyncSession,
    days: dict[date, tuple[bool, str | None]],
    years: Sequence[int],
    source: str,
) -> None:
    await session.exec(delete(WorkCalendarDay).where(or_(*(_year_range(y) for y in years))))
    await session.exec(delete(WorkCalendarYear).where(col(WorkCalendarYear.year).in_(years)))
    if days:
        await session.exec(
            insert(WorkCalendarDay),
            params=[
                {"day": d, "is_workday": on, "note": note} for d, (on, note) in sorted(days.items())
            ],
        )
    now = datetime.now(UTC)
    await session.exec(
        insert(WorkCalendarYear),
        params=[{"year": y, "source": source, "loaded_at": now} for y in years],
    )


def statutory_schedule(year: int) -> dict[date, bool]:
    """A provisional year: the statutory holidays by the rules in force (lunar dates included,
    with the days the rules add when a holiday meets a weekend), and its make-up workdays only if
    the `holidays` package already knows the year's notice. Weekdays work, weekends do not."""
    import holidays

    china = holidays.China(years=year)
    days = {d: False for d in china if d.year == year}
    return days | {d: True for d in china.weekend_workdays if d.year == year}


def provisional_years(official: Iterable[int]) -> list[int]:
    """The years dated provisionally: the PROVISIONAL_YEARS after the last official one."""
    last = max(official, default=None)
    return [] if last is None else list(range(last + 1, last + 1 + PROVISIONAL_YEARS))


async def seed_china_calendar(
    *, session: AsyncSession, years: Iterable[int] = CHINA_YEARS
) -> list[int]:
    """Load China's schedule from chinesecalendar for the years not loaded yet; returns them.

    A year already present (seeded, or loaded by an admin) is left alone, so this is one query
    on every start after the first.
    """
    wanted = set(years)
    have = set(
        (
            await session.exec(
                select(WorkCalendarYear.year).where(col(WorkCalendarYear.year).in_(wanted))
            )
        ).all()
    )
    missing = sorted(wanted - have)
    if not missing:
        return []
    days = china_schedule(missing)
    try:
        await _replace_years(
            session, dict(days), missing, f"chinesecalendar {version('chinesecalendar')}"
        )
        await session.commit()
    except IntegrityError:  # another process seeded the same years meanwhile
        await session.rollback()
        return []
    return missing


async def load_year(
    *, session: AsyncSession, year: int, holidays: list[date], workdays: list[date], source: str
) -> YearSchedule:
    """Load (or replace) one year's official schedule: weekdays work, weekends off, then the
    listed holidays off and make-up workdays on. The year is known once this commits."""
    if not source.strip():
        raise CalendarLoadError("source", "say where the schedule comes from")
    days = check_year(year=year, holidays=holidays, workdays=workdays)
    notes = {False: "holiday", True: "make-up workday (调休)"}
    await _replace_years(session, {d: (on, notes[on]) for d, on in days.items()}, [year], source)
    await session.commit()
    schedule = await year_schedule(session=session, year=year)
    assert schedule is not None
    return schedule


async def year_schedule(*, session: AsyncSession, year: int) -> YearSchedule | None:
    """A loaded year's listed days and its number of working days; None if not loaded."""
    loaded = await session.get(WorkCalendarYear, year)
    if loaded is None:
        return None
    rows = (
        await session.exec(
            select(WorkCalendarDay).where(_year_range(year)).order_by(col(WorkCalendarDay.day))
        )
    ).all()
    cal = ChinaWorkingCalendar(days={r.day: r.is_workday for r in rows}, known_years=[year])
    first, n = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
    working = sum(cal.is_working_day(first + timedelta(days=i)) for i in range(n))
    return YearSchedule(
        year=year,
        source=loaded.source,
        loaded_at=loaded.loaded_at,
        holidays=[r.day for r in rows if not r.is_workday],
        workdays=[r.day for r in rows if r.is_workday],
        working_days=working,
    )


async def calendar_status(
    *, session: AsyncSession, today: date, open_tickets_provisional: int = 0
) -> CalendarStatus:
    """The years from last year on: official as loaded, then the provisional ones; with the
    count of open tickets dated on them (readmodel/tickets/redating.py count_provisional)."""
    loaded = (
        await session.exec(select(WorkCalendarYear).order_by(col(WorkCalendarYear.year)))
    ).all()
    ahead = provisional_years(y.year for y in loaded)
    years = [
        CalendarYearStatus(year=y.year, provisional=False, source=y.source, loaded_at=y.loaded_at)
        for y in loaded
        if y.year >= today.year - 1
    ] + [
        CalendarYearStatus(
            year=y, provisional=True, source=f"statutory rules (holidays {version('holidays')})"
        )
        for y in ahead
    ]
    return CalendarStatus(
        years=years, provisional_years=ahead, open_tickets_provisional=open_tickets_provisional
    )


class OfficialDays(BaseModel):
    """The official calendar as loaded: its years and their published days."""

    years: list[int]
    days: dict[date, bool]

    def with_year(self, year: int, days: dict[date, bool] | None) -> "OfficialDays":
        """The same with one year replaced by `days`, or made unofficial again (None)."""
        kept = {d: on for d, on in self.days.items() if d.year != year}
        if days is None:
            return OfficialDays(years=[y for y in self.years if y != year], days=kept)
        return OfficialDays(years=sorted({*self.years, year}), days=kept | days)


async def official_days(*, session: AsyncSession) -> OfficialDays:
    years = (await session.exec(select(WorkCalendarYear.year))).all()
    rows = (await session.exec(select(col(WorkCalendarDay.day), WorkCalendarDay.is_workday))).all()
    return OfficialDays(years=sorted(years), days=dict(rows))


def build_calendar(
    official: OfficialDays, *, working_hours: Sequence[tuple[time, time]], tz: ZoneInfo = SHANGHAI
) -> ChinaWorkingCalendar:
    """The official years, and the years after the last of them on the statutory rules, marked
    provisional."""
    ahead = provisional_years(official.years)
    days = dict(official.days)
    for year in ahead:
        days |= statutory_schedule(year)
    return ChinaWorkingCalendar(
        days=days,
        known_years=official.years,
        working_hours=working_hours,
        tz=tz,
        provisional_years=ahead,
    )


async def load_calendar(
    *, session: AsyncSession, working_hours: Sequence[tuple[time, time]], tz: ZoneInfo = SHANGHAI
) -> ChinaWorkingCalendar:
    """The working calendar with every complete year in the read model, and the years after
    the last of them on the statutory rules, marked provisional."""
    return build_calendar(await official_days(session=session), working_hours=working_hours, tz=tz)
