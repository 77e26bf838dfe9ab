"""The working calendar in the read model: seeding, loading a year, the admin CLI (SQLite, PG)."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from sqlalchemy import delete, func
from sqlmodel import select

from domain.calendar import (
    DEFAULT_WORKING_HOURS,
    SHANGHAI,
    CalendarUnknownYear,
    ChinaWorkingCalendar,
)
from domain.states import Unit
from gridflow_admin.cli import main as admin
from readmodel.db import Database
from readmodel.reference.calendar_store import (
    CalendarLoadError,
    load_calendar,
    load_year,
    seed_china_calendar,
    year_schedule,
)
from readmodel.reference.calendar_tables import WorkCalendarDay, WorkCalendarYear
from tests.schema import migrate_to_head

# China's 2027 schedule is not published yet: these are made up for the tests.
HOLIDAYS_2027 = [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3), date(2027, 10, 1)]
WORKDAYS_2027 = [date(2027, 2, 6)]  # a Saturday


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/readmodel.db"
    else:
        url = request.getfixturevalue("pg_url")
    await migrate_to_head(url)
    db = Database(url)
    async with db.session() as session:  # the PostgreSQL database is shared by the session
        await session.exec(delete(WorkCalendarDay))
        await session.exec(delete(WorkCalendarYear))
        await session.commit()
    yield db
    await db.dispose()


async def calendar(db: Database) -> ChinaWorkingCalendar:
    async with db.session() as session:
        return await load_calendar(session=session, working_hours=DEFAULT_WORKING_HOURS)


async def count(db: Database, table: type) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


async def test_seeding_loads_2004_to_2026_once(database: Database) -> None:
    async with database.session() as session:
        seeded = await seed_china_calendar(session=session)
        again = await seed_china_calendar(session=session)
    assert seeded == list(range(2004, 2027)) and again == []
    assert await count(database, WorkCalendarYear) == 23
    assert await count(database, WorkCalendarDay) == 771  # holidays and make-up days only


async def test_the_seeded_calendar_is_chinesecalendar_day_by_day(database: Database) -> None:
    async with database.session() as session:
        await seed_china_calendar(session=session)
    cal = await calendar(database)
    day = date(2004, 1, 1)
    while day.year < 2027:
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    start = datetime(2025, 9, 30, 16, tzinfo=SHANGHAI)
    assert cal.add(start, 21, Unit.WORKING_HOURS) == datetime(2025, 10, 11, 16, tzinfo=SHANGHAI)
    # 2027's notice is not loaded: 2027 and 2028 are dated on the statutory rules, 2029 not at all.
    assert cal.provisional_years == {2027, 2028}
    new_year = cal.add(datetime(2026, 12, 31, 16, tzinfo=SHANGHAI), 1, Unit.WORKING_DAYS)
    assert new_year == datetime(2027, 1, 4, 16, tzinfo=SHANGHAI)  # 1 January off, a weekend
    with pytest.raises(CalendarUnknownYear, match="no data for 2029"):
        cal.add(datetime(2028, 12, 29, 16, tzinfo=SHANGHAI), 1, Unit.WORKING_DAYS)


async def test_loading_a_year_makes_it_known_and_replaces_it_whole(database: Database) -> None:
    async with database.session() as session:
        schedule = await load_year(
            session=session,
            year=2027,
            holidays=HOLIDAYS_2027,
            workdays=WORKDAYS_2027,
            source="test notice",
        )
    assert schedule.holidays == HOLIDAYS_2027 and schedule.workdays == WORKDAYS_2027
    assert schedule.working_days == 261 - 2 + 1  # 2027 has 261 weekdays; Jan 1 and Oct 1 are
    cal = await calendar(database)
    assert not cal.is_working_day(date(2027, 1, 1)) and cal.is_working_day(date(2027, 2, 6))
    assert cal.is_working_day(date(2027, 3, 1)) and not cal.is_working_day(date(2027, 3, 6))
    async with database.session() as session:
        await load_year(
            session=session, year=2027, holidays=[date(2027, 5, 3)], workdays=[], source="corrected"
        )
    cal = await calendar(database)
    assert cal.is_working_day(date(2027, 1, 1)) and not cal.is_working_day(date(2027, 2, 6))
    assert not cal.is_working_day(date(2027, 5, 3))
    async with database.session() as session:
        corrected = await year_schedule(session=session, year=2027)
        assert corrected is not None
        assert corrected.source == "corrected"
        assert await year_schedule(session=session, year=2028) is None
        assert await seed_china_calendar(session=session, years=[2025]) == [2025]
    assert await count(database, WorkCalendarYear) == 2


async def test_seeding_never_overwrites_a_year_an_admin_loaded(database: Database) -> None:
    async with database.session() as session:
        await load_year(session=session, year=2026, holidays=[], workdays=[], source="admin")
        seeded = await seed_china_calendar(session=session)
    assert 2026 not in seeded and len(seeded) == 22
    assert (await calendar(database)).is_working_day(date(2026, 10, 1))  # the admin's data


@pytest.mark.parametrize(
    "holidays, workdays, source, field, words",
    [
        ([date(2026, 12, 31)], [], "x", "holidays", "outside 2027: 2026-12-31"),
        ([], [date(2028, 1, 1)], "x", "workdays", "outside 2027: 2028-01-01"),
        ([date(2027, 2, 6)], [date(2027, 2, 6)], "x", "workdays", "holidays too: 2027-02-06"),
        ([], [], " ", "source", "where"),
    ],
)
async def test_a_bad_schedule_is_refused_and_nothing_changes(
    database: Database,
    holidays: list[date],
    workdays: list[date],
    source: str,
    field: str,
    words: str,
) -> None:
    async with database.session() as session:
        with pytest.raises(CalendarLoadError, match=words) as err:
            await load_year(
                session=session, year=2027, holidays=holidays, workdays=workdays, source=source
            )
    assert err.value.field == field
    assert await count(database, WorkCalendarYear) == 0
    with pytest.raises(CalendarUnknownYear):
        (await calendar(database)).is_working_day(date(2027, 3, 1))


# --- the admin CLI ---------------------------------------------------------------------------


async def calendar_cli(*argv: str) -> int:
    """`gridflow-admin calendar …` in this process (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(admin, ["calendar", *argv])


async def test_cli_loads_and_shows_a_year(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ["--database-url", database.url]
    assert await calendar_cli("show-year", "2027", *url) == 1
    assert "2027 is not loaded" in capsys.readouterr().err
    status = await calendar_cli(
        "load-year",
        "2027",
        *url,
        "--source",
        "国务院办公厅",
        "--holidays",
        ",".join(d.isoformat() for d in HOLIDAYS_2027),
        "--workdays",
        "2027-02-06",
    )
    assert status == 0
    assert await calendar_cli("show-year", "2027", *url) == 0
    out = capsys.readouterr().out
    assert "2027: 260 working days; source 国务院办公厅" in out
    assert "make-up workdays (1): 2027-02-06" in out and "holidays (4): 2027-01-01" in out
    assert await calendar_cli("load-year", "2027", *url, "--workdays", "2026-10-10") == 2
    assert "refused: workdays: dates outside 2027: 2026-10-10" in capsys.readouterr().err
    assert (await calendar(database)).is_working_day(date(2027, 2, 6))  # unchanged


def test_cli_as_a_program_uses_the_configured_database(tmp_path: Path) -> None:
    env = os.environ | {
        "GRIDFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "GRIDFLOW_LOG_JSON": "false",
    }
    migrated = subprocess.run(
        [sys.executable, "-m", "gridflow_admin", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert migrated.returncode == 0, migrated.stderr
    cli = [sys.executable, "-m", "gridflow_admin", "calendar"]
    loaded = subprocess.run(
        [*cli, "load-year", "2027", "--holidays", "2027-01-01"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.returncode == 0, loaded.stderr
    shown = subprocess.run(
        [*cli, "show-year", "2027"], env=env, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0 and "holidays (1): 2027-01-01" in shown.stdout
    bad = subprocess.run(
        [*cli, "load-year", "2027", "--holidays", "2027-02-30"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--holidays" in bad.stderr
