"""TicketWorkflow: one durable workflow per ticket, from the grid worker's report to its archive."""
import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import lifecycle, transitions
    from domain.actions import (
        ActionInput,
        CancelInput,
        ClaimInput,
        DispatchInput,
        RectifiedInput,
        RejectInput,
        ReturnInput,
        StartVerificationInput,
        VerifyInput,
        WriteOffInput,
    )
    from domain.contracts import (
        ARCHIVE_TICKET,
        PLAN_DEADLINES,
        PROJECT_TICKET,
        ROUTE_TICKET,
        ArchiveInput,
        ArchiveResult,
        PlanDeadlinesInput,
        PlanDeadlinesResult,
        ProjectInput,
        RouteInput,
        TicketInput,
        TicketResult,
    )
    from domain.models import (
        SYSTEM_ACTOR,
        Deadline,
        RoutingDecision,
        TicketSnapshot,
        initial_snapshot,
    )
    from domain.states import Action, DeadlineStage, TicketStatus
    from domain.transitions import DeadlineRequest
    from workflows import search_attributes as sa

FINISHED = (TicketStatus.WRITTEN_OFF, TicketStatus.CANCELLED)
# Activities talk to the read model: retry for as long as it takes, but back off.
PATIENT = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn
class TicketWorkflow:
    @workflow.init
    def __init__(self, input: TicketInput) -> None:
        self._ticket = initial_snapshot(input.incident)
        self._lock = asyncio.Lock()
        self._projected_seq = 0

    @workflow.run
    async def run(self, input: TicketInput) -> TicketResult:
        t = self._ticket
        async with self._lock:
            # The clock starts when the report was acknowledged, not when the worker got to it.
            now = t.submitted_at
            transitions.record(t, now=now, actor=input.incident.reporter, action=Action.SUBMIT,
                               to=TicketStatus.SUBMITTED,
                               data={"category": t.category, "grid": t.grid})
            await self._open_deadlines([DeadlineRequest(stage=DeadlineStage.DISPATCH)], now)
            await self._project()
            decision = await workflow.execute_activity(
                ROUTE_TICKET,
                RouteInput(ticket_id=t.ticket_id, category=t.category, grid=t.grid),
                result_type=RoutingDecision,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=PATIENT,
                summary="route by category and grid",
            )
            now = workflow.now()
            opened = transitions.apply_routing(t, decision, now=now, actor=SYSTEM_ACTOR)
            await self._open_deadlines(opened, now)
            await self._project()

        while t.status not in FINISHED:
            await self._watch_deadlines()

        async with self._lock:
            archive = await workflow.execute_activity(
                ARCHIVE_TICKET,
                ArchiveInput(snapshot=self._archived_view()),
                result_type=ArchiveResult,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=PATIENT,
                summary="write the archive record",
            )
            final = t.status
            transitions.record(t, now=workflow.now(), actor=SYSTEM_ACTOR, action=Action.ARCHIVE,
                               to=TicketStatus.ARCHIVED,
                               data={"final_status": final.value,
                                     "content_sha256": archive.content_sha256})
            await self._project()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return TicketResult(ticket_id=t.ticket_id, final_status=final,
                            archive_sha256=archive.content_sha256)

    def _archived_view(self) -> TicketSnapshot:
        # The archive holds the ticket as it stood when finished, before the archive event itself.
        return self._ticket.model_copy(deep=True)

    async def _watch_deadlines(self) -> None:
        """Sleep until the next unbreached deadline or until anything changes, whichever is first."""
        t = self._ticket
        async with self._lock:  # read deadlines only between actions, never halfway through one
            seq = t.seq
            pending = [d for d in t.open_deadlines if d.breached_at is None]
        if not pending:
            await workflow.wait_condition(lambda: t.seq != seq)
            return
        nxt = min(pending, key=lambda d: d.due_at)
        left = nxt.due_at - workflow.now()
        if left > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: t.seq != seq,
                    timeout=left,
                    timeout_summary=f"{nxt.stage.value} deadline",
                )
                return
            except asyncio.TimeoutError:
                pass
        async with self._lock:
            if nxt.is_open and nxt.breached_at is None:
                self._breach(nxt)
                await self._project()

    def _breach(self, deadline: Deadline) -> None:
        now = workflow.now()
        deadline.breached_at = now
        transitions.record(self._ticket, now=now, actor=SYSTEM_ACTOR,
                           action=Action.DEADLINE_BREACHED, to=self._ticket.status,
                           reason=f"{deadline.stage.value} deadline passed",
                           data={"stage": deadline.stage.value,
                                 "due_at": deadline.due_at.isoformat()})
        workflow.logger.info("deadline breached", extra={"stage": deadline.stage.value})

    async def _open_deadlines(self, requests: list[DeadlineRequest], now) -> None:  # type: ignore[no-untyped-def]
        t = self._ticket
        for req in requests:
            due = req.due_at
            if due is None:
                planned = await workflow.execute_activity(
                    PLAN_DEADLINES,
                    PlanDeadlinesInput(ticket_id=t.ticket_id, category=t.category, start=now,
                                       stages=[req.stage], working_days=req.working_days),
                    result_type=PlanDeadlinesResult,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=PATIENT,
                    summary=f"plan {req.stage.value} deadline",
                )
                due = planned.due[req.stage]
            t.deadlines.append(Deadline(stage=req.stage, started_at=now, due_at=due))
            if req.stage == DeadlineStage.RECTIFY and t.finding is not None:
                t.finding.rectify_due_at = due

    async def _project(self) -> None:
        t = self._ticket
        current = t.current_deadline
        workflow.upsert_search_attributes([
            sa.TICKET_STATUS.value_set(t.status.value),
            sa.TICKET_DEPARTMENT.value_set(t.department) if t.department
            else sa.TICKET_DEPARTMENT.value_unset(),
            sa.TICKET_GRID.value_set(t.grid),
            sa.TICKET_CATEGORY.value_set(t.category),
            sa.TICKET_OVERDUE.value_set(t.overdue),
            sa.TICKET_DUE_AT.value_set(current.due_at) if current else sa.TICKET_DUE_AT.value_unset(),
        ])
        new_events = [e for e in t.events if e.seq > self._projected_seq]
        await workflow.execute_activity(
            PROJECT_TICKET,
            ProjectInput(snapshot=t.model_copy(update={"events": []}), events=new_events),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=PATIENT,
            summary=f"project ticket at seq {t.seq}",
        )
        self._projected_seq = t.seq

    def _validate(self, request: ActionInput) -> None:
        try:
            lifecycle.check(request, self._ticket, workflow.now())
        except lifecycle.Refusal as refusal:
            raise ApplicationError(refusal.message, refusal.details, type=refusal.kind,
                                   non_retryable=True) from None

    async def _act(self, request: ActionInput) -> TicketSnapshot:
        async with self._lock:
            self._validate(request)  # again: another action may have moved the ticket meanwhile
            now = workflow.now()
            opened = transitions.apply(self._ticket, request, now=now)
            await self._open_deadlines(opened, now)
            await self._project()
            return self._ticket

    @workflow.query
    def snapshot(self) -> TicketSnapshot:
        return self._ticket

    @workflow.update
    async def dispatch(self, request: DispatchInput) -> TicketSnapshot:
        return await self._act(request)

    @dispatch.validator
    def _check_dispatch(self, request: DispatchInput) -> None:
        self._validate(request)

    @workflow.update
    async def claim(self, request: ClaimInput) -> TicketSnapshot:
        return await self._act(request)

    @claim.validator
    def _check_claim(self, request: ClaimInput) -> None:
        self._validate(request)

    @workflow.update(name="return")
    async def return_(self, request: ReturnInput) -> TicketSnapshot:
        return await self._act(request)

    @return_.validator
    def _check_return(self, request: ReturnInput) -> None:
        self._validate(request)

    @workflow.update
    async def start_verification(self, request: StartVerificationInput) -> TicketSnapshot:
        return await self._act(request)

    @start_verification.validator
    def _check_start_verification(self, request: StartVerificationInput) -> None:
        self._validate(request)

    @workflow.update
    async def verify(self, request: VerifyInput) -> TicketSnapshot:
        return await self._act(request)

    @verify.validator
    def _check_verify(self, request: VerifyInput) -> None:
        self._validate(request)

    @workflow.update
    async def rectified(self, request: RectifiedInput) -> TicketSnapshot:
        return await self._act(request)

    @rectified.validator
    def _check_rectified(self, request: RectifiedInput) -> None:
        self._validate(request)

    @workflow.update
    async def write_off(self, request: WriteOffInput) -> TicketSnapshot:
        return await self._act(request)

    @write_off.validator
    def _check_write_off(self, request: WriteOffInput) -> None:
        self._validate(request)

    @workflow.update
    async def reject(self, request: RejectInput) -> TicketSnapshot:
        return await self._act(request)

    @reject.validator
    def _check_reject(self, request: RejectInput) -> None:
        self._validate(request)

    @workflow.update
    async def cancel(self, request: CancelInput) -> TicketSnapshot:
        return await self._act(request)

    @cancel.validator
    def _check_cancel(self, request: CancelInput) -> None:
        self._validate(request)
