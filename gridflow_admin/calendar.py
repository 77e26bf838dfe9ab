"""`calendar`: load next year's official working calendar, show a loaded year.

    calendar load-year 2027 --holidays 2027-01-01,2027-02-06 --workdays 2027-02-14 \\
        [--source "国务院办公厅 2026-11"] [--database-url URL]
    calendar show-year 2027

Weekdays are working days and weekends are off unless listed; --holidays are days off (list the
weekends inside a holiday period too, as published), --workdays are make-up workdays (调休).
"""

from collections.abc import Awaitable, Callable
from datetime import date, datetime

import click
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.calendar import SHANGHAI
from gridflow_admin.options import database_url, exit_with
from readmodel.db import Database
from readmodel.migrate import require_head
from readmodel.reference.calendar_store import (
    CalendarLoadError,
    YearSchedule,
    calendar_status,
    load_year,
    year_schedule,
)
from readmodel.tickets.redating import count_provisional


def _dates(_ctx: click.Context, _param: click.Parameter, text: str | None) -> list[date]:
    try:
        return [
            date.fromisoformat(part.strip()) for part in (text or "").split(",") if part.strip()
        ]
    except ValueError as err:
        raise click.BadParameter(f"{err} (expected YYYY-MM-DD,YYYY-MM-DD,...)") from err


def describe(schedule: YearSchedule) -> str:
    def dates(days: list[date]) -> str:
        return ", ".join(d.isoformat() for d in days) or "-"

    return (
        f"{schedule.year}: {schedule.working_days} working days; source {schedule.source}, "
        f"loaded {schedule.loaded_at.isoformat(timespec='seconds')}\n"
        f"  holidays ({len(schedule.holidays)}): {dates(schedule.holidays)}\n"
        f"  make-up workdays ({len(schedule.workdays)}): {dates(schedule.workdays)}"
    )


async def _in_read_model(url: str, work: Callable[[AsyncSession], Awaitable[int]]) -> int:
    db = Database(url)
    try:
        await require_head(db.url)  # SchemaBehind: migrate first
        async with db.session() as session:
            return await work(session)
    finally:
        await db.dispose()


@click.group(short_help="Load or show a year of the working calendar.")
def calendar() -> None:
    """China's working calendar in the read model: each year's holidays and make-up workdays."""


@calendar.command("load-year")
@click.argument("year", type=int)
@click.option("--holidays", callback=_dates, metavar="DATE,…", help="days off, comma separated")
@click.option("--workdays", callback=_dates, metavar="DATE,…", help="make-up workdays (调休)")
@click.option(
    "--source",
    default="calendar_admin load-year",
    show_default=True,
    help="where the schedule comes from (e.g. the State Council notice)",
)
@database_url
def load(
    year: int, holidays: list[date], workdays: list[date], source: str, database_url: str
) -> None:
    """Load or replace one year's official schedule (exit 2: refused, the message says why)."""

    async def work(session: AsyncSession) -> int:
        try:
            schedule = await load_year(
                session=session, year=year, holidays=holidays, workdays=workdays, source=source
            )
        except CalendarLoadError as err:
            click.echo(f"refused: {err}", err=True)
            return 2
        click.echo(f"loaded {describe(schedule)}")
        waiting = await count_provisional(session=session)
        if waiting:
            click.echo(
                f"note: {waiting} open tickets still carry deadlines "
                f"dated provisionally; this command does not re-date running tickets: load the "
                f"notice with PUT /api/v1/admin/calendar/{year} or on /app/admin/calendar "
                f"(their dry run says which tickets move)",
                err=True,
            )
        return 0

    exit_with(_in_read_model(database_url, work))


@calendar.command("show-year")
@click.argument("year", type=int)
@database_url
def show(year: int, database_url: str) -> None:
    """Print a loaded year's schedule (exit 1: the year is not loaded)."""

    async def work(session: AsyncSession) -> int:
        schedule = await year_schedule(session=session, year=year)
        if schedule is None:
            status = await calendar_status(session=session, today=datetime.now(SHANGHAI).date())
            dated = (
                "deadlines in it are dated provisionally on the statutory rules"
                if year in status.provisional_years
                else "the calendar refuses deadlines in it"
            )
            click.echo(
                f"{year} is not loaded: {dated}; load it "
                f"with load-year {year} --holidays ... --workdays ...",
                err=True,
            )
            return 1
        click.echo(describe(schedule))
        return 0

    exit_with(_in_read_model(database_url, work))
