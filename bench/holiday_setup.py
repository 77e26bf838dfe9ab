"""The holiday section's morning, made with the product's own configuration and data: working
hours that begin at T0 (GRIDFLOW_WORKING_HOURS), T0's day a working day in the calendar, a
claim rule of X working hours for the bench's category (the deadline_rule table) and a webhook
channel subscribed to breaches. Every report filed before T0 is filed outside working time, so
its claim deadline starts at T0, the first working moment, and falls due at T = T0 + X: the
same second for all of them, as after a long holiday.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.calendar import SHANGHAI, ChinaWorkingCalendar
from domain.policy import DeadlinePolicy, PolicyRule
from domain.states import DeadlineStage, Unit, Urgency

CHANNEL = "bench-webhook"
# The warnings at 10 % and 50 % of X (GRIDFLOW_DEADLINE_POLICY; 50 % and 80 % by default): in a
# working day they are hours apart, and so here each burst of alarms drains before the next.
WARNINGS = [0.1, 0.5]
SPAN = timedelta(hours=2)  # working time after T: the run never reaches its end
LAST = time(23, 59, 59)


@dataclass(frozen=True)
class Morning:
    t0: datetime  # UTC, whole seconds: the first working moment
    due: datetime  # T = T0 + X working hours (= natural time: one period covers it)
    deadline_seconds: float

    @property
    def working_hours(self) -> list[tuple[time, time]]:
        """One period a day, from T0's local time until SPAN after T (or the day's end)."""
        start = self.t0.astimezone(SHANGHAI)
        end = min(start + timedelta(seconds=self.deadline_seconds) + SPAN, _day_end(start))
        return [(start.time(), end.time())]

    def env(self) -> dict[str, str]:
        hours = [[a.isoformat(), b.isoformat()] for a, b in self.working_hours]
        return {"GRIDFLOW_WORKING_HOURS": json.dumps(hours)}

    @property
    def day(self) -> date:
        return self.t0.astimezone(SHANGHAI).date()

    def rule(self, category: str) -> PolicyRule:
        return PolicyRule(
            stage=DeadlineStage.CLAIM,
            amount=self.deadline_seconds / 3600,
            unit=Unit.WORKING_HOURS,
            category=category,
            urgency=Urgency.NORMAL,
        )

    def check(self, calendar: ChinaWorkingCalendar, now: datetime) -> None:
        """The stack's calendar dates a report filed now as the section needs."""
        start = calendar.next_working_moment(now)
        due = calendar.add(now, self.deadline_seconds / 3600, Unit.WORKING_HOURS)
        if (start, due) != (self.t0, self.due):
            raise RuntimeError(f"calendar dates now to {start} → {due}, not {self.t0} → {self.due}")


def policy_env(configured: str) -> dict[str, str]:
    """The configured policy (JSON) with the section's warning fractions."""
    policy = DeadlinePolicy.model_validate_json(configured)
    policy.warning_fractions = list(WARNINGS)
    return {"GRIDFLOW_DEADLINE_POLICY": policy.model_dump_json()}


def _day_end(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), LAST, tzinfo=moment.tzinfo)


def plan(now: datetime, *, lead_seconds: float, deadline_seconds: float) -> Morning:
    """T0 lead_seconds from now; where T and a minute after would pass local midnight, T0 is
    the next local day's first seconds instead (one working period a day cannot cross it)."""
    t0 = (now + timedelta(seconds=lead_seconds)).astimezone(UTC).replace(microsecond=0)
    local = t0.astimezone(SHANGHAI)
    if local + timedelta(seconds=deadline_seconds + 60) > _day_end(local):
        local = datetime.combine(local.date() + timedelta(days=1), time(0, 0, 5), tzinfo=SHANGHAI)
        t0 = local.astimezone(UTC)
    return Morning(
        t0=t0, due=t0 + timedelta(seconds=deadline_seconds), deadline_seconds=deadline_seconds
    )


async def configure(url: str, morning: Morning, *, category: str, receiver_url: str) -> None:
    """Into the stack's read model: T0's day a working day, the claim rule, the channel."""
    from sqlmodel import col, select

    from bench.receiver import SECRET_ENV
    from readmodel.db import Database
    from readmodel.notices.tables import NotificationChannel, NotificationSubscription
    from readmodel.reference.calendar_store import load_calendar, load_year, year_schedule
    from readmodel.reference.policy_store import add_rule
    from readmodel.reference.tables import DeadlineRuleRow

    db = Database(url)
    try:
        async with db.session() as session:
            calendar = await load_calendar(session=session, working_hours=morning.working_hours)
            if not calendar.is_working_day(morning.day):  # a make-up working day (调休)
                year = await year_schedule(session=session, year=morning.day.year)
                assert year is not None
                await load_year(
                    session=session,
                    year=year.year,
                    holidays=[d for d in year.holidays if d != morning.day],
                    workdays=[*year.workdays, morning.day],
                    source=f"{year.source}; {morning.day} a working day (benchmark)",
                )
            stale = await session.exec(
                select(DeadlineRuleRow).where(col(DeadlineRuleRow.stage) == DeadlineStage.CLAIM)
            )
            assert not stale.all(), "the demo seeds no claim rules: the bench's is the only one"
            await add_rule(session=session, rule=morning.rule(category))
            now = datetime.now(UTC)
            session.add(
                NotificationChannel(
                    channel_id=CHANNEL,
                    kind="webhook",
                    name="the benchmark's receiver",
                    url=receiver_url,
                    settings={},
                    secret_env=SECRET_ENV,
                    created_at=now,
                )
            )
            session.add(
                NotificationSubscription(
                    kind="breach", audience="target", channel_id=CHANNEL, created_at=now
                )
            )
            await session.commit()
            calendar = await load_calendar(session=session, working_hours=morning.working_hours)
        morning.check(calendar, datetime.now(UTC))
    finally:
        await db.dispose()
