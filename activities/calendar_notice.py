"""The step of CalendarNoticeWorkflow: a page of running tickets, re-dated on the notice.

The calendar a deadline was dated on is rebuilt from the notice's input: the year's replaced
official days (a correction), or the statutory rules (the year was provisional); the new one is
the read model's. Each ticket hears the changes through its workflow's `redate` update, under an
update id of this notice, so a retried page changes nothing twice."""

from collections.abc import Sequence
from datetime import UTC, datetime, time

import structlog
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.actions import RedateInput
from domain.calendar_notice import REDATE_PAGE, RedatePageInput, RedatePageResult
from domain.models import Actor
from domain.states import Role
from readmodel.db import Database
from readmodel.reference.calendar_store import build_calendar, official_days
from readmodel.tickets.redating import TicketRedate, plan_page
from workflows.ticket import TicketWorkflow

log = structlog.get_logger("gridflow.calendar")


class CalendarNoticeActivities:
    def __init__(
        self, *, db: Database, client: Client, working_hours: Sequence[tuple[time, time]]
    ) -> None:
        self.db, self.client, self.working_hours = db, client, working_hours

    @activity.defn(name=REDATE_PAGE)
    async def redate_page(self, input: RedatePageInput) -> RedatePageResult:
        notice = input.notice
        async with self.db.session() as session:
            official = await official_days(session=session)
            previous = notice.previous.days() if notice.previous else None
            page = await plan_page(
                session=session,
                old=build_calendar(
                    official.with_year(notice.year, previous), working_hours=self.working_hours
                ),
                new=build_calendar(official, working_hours=self.working_hours),
                now=datetime.now(UTC),
                only_provisional=notice.previous is None,
                after=input.after,
                dated_before=notice.loaded_at,
            )
        result = RedatePageResult(scanned=page.scanned, next_after=page.next_after)
        for ticket in page.tickets:
            if await self._redate(ticket, input):
                result.redated += 1
                result.moved += any(c.moved for c in ticket.changes)
            else:
                result.skipped.append(ticket.ticket_id)
            activity.heartbeat(ticket.ticket_id)
        return result

    async def _redate(self, ticket: TicketRedate, input: RedatePageInput) -> bool:
        notice = input.notice
        handle = self.client.get_workflow_handle_for(TicketWorkflow.run, ticket.ticket_id)
        try:
            await handle.execute_update(
                TicketWorkflow.redate,
                RedateInput(
                    actor=Actor(user_id=notice.loaded_by, role=Role.ADMIN),
                    year=notice.year,
                    source=notice.source,
                    loaded_by=notice.loaded_by,
                    changes=ticket.changes,
                ),
                id=f"{activity.info().workflow_id}/{ticket.ticket_id}",
            )
        except WorkflowUpdateFailedError as err:  # refused: finished or parked meanwhile
            log.info("redate refused", ticket_id=ticket.ticket_id, why=str(err.cause))
            return False
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            log.info("redate: ticket finished", ticket_id=ticket.ticket_id)
            return False
        return True
