"""督办单 activities: date an order on the working calendar, project it, publish its notices."""

from collections.abc import Awaitable, Callable

import structlog
from temporalio import activity

from activities.calendar_source import CalendarSource
from activities.notices import NoticePublisher
from domain.calendar import CalendarUnknownYear
from domain.notices import NoticeEvent
from domain.supervision import (
    NOTIFY_ORDER,
    PLAN_ORDER,
    PROJECT_ORDER,
    OrderPlan,
    OrderState,
    PlanOrderInput,
)
from readmodel.db import Database
from readmodel.supervision import store

log = structlog.get_logger("gridflow.supervision")


class SupervisionActivities:
    def __init__(
        self, *, db: Database, calendars: CalendarSource, publisher: NoticePublisher
    ) -> None:
        self.db, self.calendars, self.publisher = db, calendars, publisher

    @activity.defn(name=PLAN_ORDER)
    async def plan_order(self, input: PlanOrderInput) -> OrderPlan:
        """The reply deadline (N working days from the opening) and each climb after it (one
        interval of working time apart); a year the calendar lacks is said, never guessed."""
        calendar = await self.calendars.get()
        try:
            due = calendar.add_working_days(input.start, input.reply_working_days)
            climbs, at = [], due
            for _ in range(input.climbs):
                at = calendar.add(at, input.climb_every, input.climb_unit)
                climbs.append(at)
        except CalendarUnknownYear as err:
            log.error("calendar_unknown_year", order_id=input.order_id, year=err.year)
            return OrderPlan(error=str(err))
        return OrderPlan(reply_due_at=due, climbs_at=climbs)

    @activity.defn(name=PROJECT_ORDER)
    async def project_order(self, state: OrderState) -> None:
        async with self.db.session() as session:
            await store.project(session=session, state=state)

    @activity.defn(name=NOTIFY_ORDER)
    async def notify_order(self, events: list[NoticeEvent]) -> None:
        """Publish through the one publisher: written once however often retried (stable ids)."""
        pending = await self.publisher.publish(events)
        for event in events:
            log.info(
                "order notified",
                order_id=event.data.get("order_id"),
                kind=event.kind.value,
                target=event.target,
                pending=pending,
            )

    def all(self) -> list[Callable[..., Awaitable[object]]]:
        return [self.plan_order, self.project_order, self.notify_order]
