"""A year's holiday notice reaches the running tickets (issue 16): next year is dated on the
statutory rules until its notice is loaded; the dry run says which deadline moves and by how
much; loading re-dates exactly those tickets through their workflows, on their timelines, and
tells their departments. Against the dev server, with the worker and the API in-process."""

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, delete, select

from domain.calendar import SHANGHAI
from readmodel.reference.calendar_store import load_calendar, statutory_schedule
from readmodel.reference.calendar_tables import WorkCalendarDay, WorkCalendarYear
from readmodel.tickets.tables import Notification
from tests.api_fixtures import ADMIN, SUPERVISOR, Gridflow, gf  # noqa: F401
from tests.factories import GARBAGE
from tests.test_api_lifecycle import wait_for_status


async def unpublish_next_year(gf: Gridflow) -> int:
    """Drop the plain years the test database loads after this one: next year is provisional."""
    this_year = datetime.now(SHANGHAI).year
    async with gf.db.session() as session:
        await session.exec(
            delete(WorkCalendarDay).where(col(WorkCalendarDay.day) >= date(this_year + 1, 1, 1))
        )
        await session.exec(delete(WorkCalendarYear).where(col(WorkCalendarYear.year) > this_year))
        await session.commit()
    return this_year + 1


async def working_days_until(gf: Gridflow, end: date) -> int:
    async with gf.db.session() as session:
        cal = await load_calendar(session=session, working_hours=gf.config.working_hours)
    day, count = datetime.now(SHANGHAI).date(), 0
    while day < end:
        day += timedelta(days=1)
        count += cal.is_working_day(day)
    return count


def notice_with_a_march_holiday(year: int) -> tuple[date, list[date]]:
    """A notice for `year`: the statutory days off, and one more, a Wednesday in March (a day a
    deadline running through spring moves over). Returns (that Wednesday, every day off)."""
    rules = statutory_schedule(year)
    extra = next(
        date(year, 3, d)
        for d in range(1, 32)
        if date(year, 3, d).weekday() == 2 and date(year, 3, d) not in rules
    )
    return extra, sorted([d for d, on in rules.items() if not on] + [extra])


async def progress_done(gf: Gridflow, url: str) -> dict[str, Any]:
    for _ in range(150):
        response = await gf.call("GET", url.removeprefix("/api/v1"), SUPERVISOR)
        assert response.status_code == 200, response.text
        if response.json()["done"]:
            return response.json()
        await asyncio.sleep(0.2)
    raise AssertionError(f"re-dating not done: {response.json()}")


async def test_the_notice_re_dates_the_deadlines_dated_on_the_rules(gf: Gridflow) -> None:
    year = await unpublish_next_year(gf)
    # A claim limit that ends at midyear next year, so the notice's March holiday is inside it.
    amount = await working_days_until(gf, date(year, 6, 30))
    rule = {"stage": "claim", "amount": amount, "unit": "working_days", "category": GARBAGE}
    created = await gf.call("POST", "/admin/deadline-rules", ADMIN, json=rule)
    assert created.status_code == 201, created.text
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    claim = next(d for d in (await gf.ticket(ticket_id))["deadlines"] if d["stage"] == "claim")
    assert claim["provisional"] is True and claim["due_at"].startswith(f"{year}-06-")
    overview = (await gf.call("GET", "/admin/calendar", SUPERVISOR)).json()
    assert year in overview["provisional_years"] and overview["open_tickets_provisional"] == 1

    # The notice: the rules' holidays, and one more, a Wednesday in March.
    _, holidays = notice_with_a_march_holiday(year)
    body = {
        "holidays": [d.isoformat() for d in holidays],
        "workdays": [],
        "source": "国务院办公厅 test notice",
    }
    dry = await gf.call("POST", f"/admin/calendar/{year}/dry-run", SUPERVISOR, json=body)
    assert dry.status_code == 200, dry.text
    preview = dry.json()
    assert preview["was_provisional"] is True
    assert (preview["tickets_total"], preview["moved_total"]) == (1, 1)
    [listed] = preview["tickets"]
    [change] = listed["changes"]
    assert (listed["ticket_id"], change["stage"]) == (ticket_id, "claim")
    old_due, new_due = (datetime.fromisoformat(change[k]) for k in ("old_due_at", "due_at"))
    assert old_due == datetime.fromisoformat(claim["due_at"])
    assert new_due.astimezone(SHANGHAI).date() > old_due.astimezone(SHANGHAI).date()
    assert new_due.astimezone(SHANGHAI).time() == old_due.astimezone(SHANGHAI).time()
    after_dry = await gf.ticket(ticket_id)
    assert after_dry["deadlines"] == (await gf.ticket(ticket_id))["deadlines"]  # nothing changed
    assert (await gf.call("GET", f"/admin/calendar/{year}", SUPERVISOR)).status_code == 404

    loaded = await gf.call("PUT", f"/admin/calendar/{year}", ADMIN, json=body)
    assert loaded.status_code == 200, loaded.text
    done = await progress_done(gf, loaded.json()["redating"]["progress_url"])
    assert (done["redated"], done["moved"], done["skipped"]) == (1, 1, [])

    ticket = await gf.ticket(ticket_id)
    claim = next(d for d in ticket["deadlines"] if d["stage"] == "claim")
    assert datetime.fromisoformat(claim["due_at"]) == new_due and claim["provisional"] is False
    [event] = [e for e in ticket["timeline"] if e["action"] == "redate"]
    assert event["data"]["year"] == year and event["data"]["source"] == body["source"]
    assert event["data"]["loaded_by"] == "admin"
    assert datetime.fromisoformat(event["data"]["deadlines"]["claim"]["to"]) == new_due
    async with gf.db.session() as session:
        notices = (
            await session.exec(
                select(Notification).where(
                    col(Notification.ticket_id) == ticket_id, col(Notification.kind) == "redate"
                )
            )
        ).all()
    assert [(n.target, n.data["message"].startswith(f"按 {year} 年放假安排")) for n in notices] == [
        (ticket["department"], True)
    ]
    overview = (await gf.call("GET", "/admin/calendar", SUPERVISOR)).json()
    assert year not in overview["provisional_years"] and overview["open_tickets_provisional"] == 0

    # The same notice again: the ticket is on it already, nothing moves twice.
    again = await gf.call("PUT", f"/admin/calendar/{year}", ADMIN, json=body)
    assert again.status_code == 200, again.text
    done = await progress_done(gf, again.json()["redating"]["progress_url"])
    assert done["redated"] == 0
    ticket = await gf.ticket(ticket_id)
    assert [e["action"] for e in ticket["timeline"]].count("redate") == 1
