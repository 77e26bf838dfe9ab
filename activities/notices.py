"""Publishing notices: into the outbox, out to deliveries, and the relay woken to push them.

Every activity that tells somebody something (a ticket's alarms, a report, a 督办单) publishes
through one NoticePublisher, so each event is written once however often it is retried.
"""

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from activities.calendar_source import CalendarSource
from domain.alarms import Notice
from domain.calendar import ChinaWorkingCalendar
from domain.notices import RELAY_WAKE, EventKind, NoticeEvent, event_id, relay_workflow_id
from domain.states import Urgency
from readmodel.db import Database
from readmodel.notices import outbox
from readmodel.tickets.tables import TicketRow

log = structlog.get_logger("gridflow.notices")

Wake = Callable[[], Awaitable[None]]
WAKE_GAP = 0.5  # s: one publisher wakes the relay at most this often


class Coalesced:
    """Many publishes, one wake: a call returns once a wake sent after it was made has gone
    out, so the relay hears of every notice written before it; calls made while a wake is on
    its way, or within `gap` of the last one, share the next. Waking once per publish put 501
    signals in the relay's history for 500 breaches at one instant (docs/benchmarks.md, 8)."""

    def __init__(self, wake: Wake, gap: float = WAKE_GAP) -> None:
        self._wake, self._gap = wake, gap
        self._asked = self._covered = 0
        self._last = -math.inf
        self._flight: asyncio.Task[None] | None = None

    async def __call__(self) -> None:
        self._asked += 1
        mine = self._asked
        while self._covered < mine:
            if self._flight is None or self._flight.done():
                self._flight = asyncio.create_task(self._send())
            await asyncio.shield(self._flight)

    async def _send(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, self._last + self._gap - loop.time()))
        covers = self._asked  # every call so far wrote its notices before this wake
        try:
            await self._wake()
        finally:
            self._last = loop.time()
        self._covered = max(self._covered, covers)


def relay_waker(client: Client, task_queue: str) -> Wake:
    """Start the relay if it is not running, and wake it (a signal-with-start)."""

    async def wake() -> None:
        await client.start_workflow(
            "NotificationRelay",
            id=relay_workflow_id(task_queue),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            start_signal=RELAY_WAKE,
        )

    return wake


class NoticePublisher:
    def __init__(
        self, *, db: Database, calendars: CalendarSource | None, wake: Wake | None
    ) -> None:
        self.db, self.calendars = db, calendars
        self.wake = Coalesced(wake) if wake is not None else None

    async def _calendar(self) -> ChinaWorkingCalendar | None:
        if self.calendars is None:
            return None
        try:
            return await self.calendars.get()
        except Exception:  # a calendar that cannot load never holds a notice back
            log.exception("calendar_unavailable_for_notices")
            return None

    async def publish(self, events: list[NoticeEvent]) -> int:
        """Write the events and their deliveries; returns how many wait to be pushed."""
        if not events:
            return 0
        calendar = await self._calendar()
        async with self.db.session() as session:
            await outbox.add_events(session=session, events=events)
            pending = await outbox.fan_out(session=session, events=events, calendar=calendar)
            await session.commit()
        if pending and self.wake is not None:
            await self.wake()
        return pending

    async def ticket_events(
        self, *, ticket_id: str, seq: int, notices: list[Notice], now: datetime
    ) -> list[NoticeEvent]:
        """A ticket's notices as events, with what audiences need of the ticket."""
        async with self.db.session() as session:
            row = (
                await session.exec(
                    select(TicketRow.department, TicketRow.grid, TicketRow.urgency).where(
                        col(TicketRow.ticket_id) == ticket_id
                    )
                )
            ).first()
        department, grid, urgency = row if row else (None, None, Urgency.NORMAL)
        return [
            NoticeEvent(
                event_id=event_id(ticket_id, seq, n.kind, n.target),
                kind=EventKind(n.kind),
                target=n.target,
                ticket_id=ticket_id,
                seq=seq,
                urgent=urgency == Urgency.URGENT,
                department=department,
                grid=grid,
                level=int(n.level) if n.level is not None else None,
                stage=n.stage.value if n.stage else None,
                due_at=n.due_at,
                data=dict(n.data),
                created_at=now,
            )
            for n in notices
        ]
