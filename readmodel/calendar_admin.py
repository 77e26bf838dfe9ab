"""Admin CLI for the working calendar: load next year's official schedule, show a year.

    python -m readmodel.calendar_admin load-year 2027 --holidays 2027-01-01,2027-02-06 \\
        --workdays 2027-02-14 [--source "国务院办公厅 2026-11"] [--database-url URL]
    python -m readmodel.calendar_admin show-year 2027

Weekdays are working days and weekends are off unless listed; --holidays are days off (list the
weekends inside a holiday period too, as published), --workdays are make-up workdays (调休).
"""
import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date

from readmodel.calendar_store import CalendarLoadError, YearSchedule, load_year, year_schedule
from readmodel.db import Database
from readmodel.migrate import require_head


def _dates(text: str) -> list[date]:
    try:
        return [date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{err} (expected YYYY-MM-DD,YYYY-MM-DD,...)") from err


def parser() -> argparse.ArgumentParser:
    from settings import settings

    top = argparse.ArgumentParser(prog="python -m readmodel.calendar_admin",
                                  description="China's working calendar in the read model")
    top.add_argument("--database-url", default=settings.database_url,
                     help="default: GRIDFLOW_DATABASE_URL (%(default)s)")
    commands = top.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load-year", help="load or replace one year's official schedule")
    load.add_argument("year", type=int)
    load.add_argument("--holidays", type=_dates, default=[], help="days off, comma separated")
    load.add_argument("--workdays", type=_dates, default=[], help="make-up workdays (调休)")
    load.add_argument("--source", default="calendar_admin load-year",
                      help="where the schedule comes from (e.g. the State Council notice)")
    show = commands.add_parser("show-year", help="print a loaded year's schedule")
    show.add_argument("year", type=int)
    for sub in (load, show):  # accepted after the subcommand too
        sub.add_argument("--database-url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return top


def describe(schedule: YearSchedule) -> str:
    def dates(days: list[date]) -> str:
        return ", ".join(d.isoformat() for d in days) or "-"

    return (f"{schedule.year}: {schedule.working_days} working days; source {schedule.source}, "
            f"loaded {schedule.loaded_at.isoformat(timespec='seconds')}\n"
            f"  holidays ({len(schedule.holidays)}): {dates(schedule.holidays)}\n"
            f"  make-up workdays ({len(schedule.workdays)}): {dates(schedule.workdays)}")


async def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 year not loaded, 2 refused input)."""
    args = parser().parse_args(argv)
    db = Database(args.database_url)
    try:
        await require_head(db.url)  # SchemaBehind: migrate first
        async with db.session() as session:
            if args.command == "load-year":
                try:
                    schedule = await load_year(session=session, year=args.year,
                                               holidays=args.holidays, workdays=args.workdays,
                                               source=args.source)
                except CalendarLoadError as err:
                    print(f"refused: {err}", file=sys.stderr)
                    return 2
                print(f"loaded {describe(schedule)}")
                return 0
            schedule = await year_schedule(session=session, year=args.year)
            if schedule is None:
                print(f"{args.year} is not loaded: the calendar refuses deadlines in it; load it "
                      f"with load-year {args.year} --holidays ... --workdays ...", file=sys.stderr)
                return 1
            print(describe(schedule))
            return 0
    finally:
        await db.dispose()


def main() -> None:
    sys.exit(asyncio.run(run()))


if __name__ == "__main__":
    main()
