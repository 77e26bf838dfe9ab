"""The ticket's engine: its state, its clock (deadlines, alarms, parking) and the action path."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows import steps

with workflow.unsafe.imports_passed_through():
    from domain import (
        alarms,
        duplicates,
        holds,
        lifecycle,
        redating,
        state_machine,
        transitions,
        urge,
    )
    from domain.actions import (
        ActionInput,
        ExtensionDecisionInput,
        KeepSeparateInput,
        MergeInput,
        RedateInput,
        UnparkInput,
        UrgeInput,
    )
    from domain.contracts import ScheduleRequest, ScheduleResult, TicketInput, TicketResult
    from domain.models import (
        SYSTEM_ACTOR,
        Actor,
        Deadline,
        ReportLink,
        TicketSnapshot,
        UnplannedDeadline,
        initial_snapshot,
    )
    from domain.refusal import Refusal
    from domain.states import Action, DeadlineStage, TicketStatus, Unit
    from domain.subjects import ProblemClosed, ProblemFound
    from domain.transitions import DeadlineRequest

FINISHED = state_machine.transition(Action.ARCHIVE).from_  # where the archive starts
REPLAN_EVERY = timedelta(hours=1)
# Tickets started before warnings, escalation, extensions and parking replay without them.
ALARMS_PATCH = "deadline-alarms"
SECOND_RETURN_PATCH = "second-return-escalation"
DUPLICATES_PATCH = "duplicate-check"
# An action queued for the lock while the report was recorded (a cancel) wins over routing.
ROUTE_RECHECK_PATCH = "route-after-queued-actions"
# Likewise an action that finished the ticket while the clock waited for the lock: stop watching.
FINISHED_RECHECK_PATCH = "watch-clock-after-queued-actions"
# And a keep-separate that ended the duplicate review while the clock waited for the lock: route.
REVIEW_RECHECK_PATCH = "route-after-queued-review"
# Re-dating by a year's notice (the `redate` update): marks the tickets it changed; see
# docs/patches.md for when it is retired.
REDATE_PATCH = "calendar-redate"


class TicketCore:
    """State, the clock loop and the shared action path; the handlers live in TicketWorkflow."""

    def __init__(self, input: TicketInput) -> None:
        self._ticket = initial_snapshot(input.incident)
        # What queries see: the ticket as of its last projection, never halfway through an action.
        self._published = self._ticket.model_copy(deep=True)
        self._lock = asyncio.Lock()
        self._projected_seq = 0
        self._chase = workflow.patched(ALARMS_PATCH)
        self._local = workflow.patched(steps.LOCAL_READS_PATCH)

    async def _run(self, input: TicketInput) -> TicketResult:
        t = self._ticket
        async with self._lock:
            # The clock starts when the report was acknowledged, not when the worker got to it.
            now = t.submitted_at
            submitted: dict[str, str | list[str]] = {"category": t.category, "grid": t.grid}
            if input.incident.photo_ids:
                submitted["photo_ids"] = list(input.incident.photo_ids)
            transitions.record(
                t, now=now, actor=input.incident.reporter, action=Action.SUBMIT, data=submitted
            )
            await self._open_deadlines(
                [DeadlineRequest(stage=s) for s in state_machine.opens(Action.SUBMIT)], now
            )
            await self._project()
            if t.device_id is None and workflow.patched(DUPLICATES_PATCH):
                await self._check_duplicates()

        while t.status == TicketStatus.DUPLICATE_REVIEW:  # a supervisor merges or keeps it
            await self._watch_clock(reviewing=True)
        if t.status == TicketStatus.SUBMITTED:
            async with self._lock:
                # Checked before the lock only, routing would overwrite a cancel that was waiting
                # for it; the patch keeps tickets that were routed that way replaying.
                if t.status == TicketStatus.SUBMITTED or not workflow.patched(ROUTE_RECHECK_PATCH):
                    decision = await steps.route(t, local=self._local)
                    now = workflow.now()
                    opened = transitions.apply_routing(t, decision, now=now, actor=SYSTEM_ACTOR)
                    await self._open_deadlines(opened, now)
                    await self._project()

        while t.status not in FINISHED:
            await self._watch_clock()

        async with self._lock:
            archive = await steps.archive(t)  # as it stood when finished, before the archive event
            final = t.status
            transitions.record(
                t,
                now=workflow.now(),
                actor=SYSTEM_ACTOR,
                action=Action.ARCHIVE,
                data={"final_status": final.value, "content_sha256": archive.content_sha256},
            )
            await self._project()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return TicketResult(
            ticket_id=t.ticket_id, final_status=final, archive_sha256=archive.content_sha256
        )

    async def _check_duplicates(self) -> None:
        t = self._ticket
        candidates = await steps.find_duplicates(t, local=self._local)
        if candidates:
            duplicates.flag(t, candidates, workflow.now())
            await steps.notify(t, [alarms.Notice(kind="duplicate", target="command-centre")])
            await self._project()

    async def _watch_clock(self, *, reviewing: bool = False) -> None:
        """Sleep until the next alarm or until anything changes; then ring one alarm."""
        t = self._ticket
        async with self._lock:  # read the clock only between actions, never halfway through one
            if t.status in FINISHED and workflow.patched(FINISHED_RECHECK_PATCH):
                return  # a queued action finished it: nothing changes seq again, don't wait
            if (
                reviewing
                and t.status != TicketStatus.DUPLICATE_REVIEW
                and workflow.patched(REVIEW_RECHECK_PATCH)
            ):
                return  # a queued keep-separate ended the review: the caller routes it now
            while t.seq != self._projected_seq:  # signals changed it (merged report, sensor)
                await self._project()
            seq = t.seq
            nxt = alarms.next_alarm(t, chase=self._chase)
        if nxt is None:
            await workflow.wait_condition(lambda: t.seq != seq)
            return
        left = nxt.at - workflow.now()
        if left > timedelta(0):
            stage = f" {nxt.stage.value}" if nxt.stage else ""
            summary = f"{stage.strip()} deadline" if nxt.kind == "breach" else f"{nxt.kind}{stage}"
            try:
                await workflow.wait_condition(
                    lambda: t.seq != seq, timeout=left, timeout_summary=summary
                )
                return
            except TimeoutError:
                pass
        async with self._lock:
            if t.seq == seq:  # nothing moved the clock while we took the lock
                await self._ring(nxt)

    async def _ring(self, alarm: alarms.Alarm) -> None:
        t, now = self._ticket, workflow.now()
        if alarm.kind == "review":
            await self._unpark(SYSTEM_ACTOR, "review date reached: the ticket is back")
        elif alarm.kind == "replan":
            await self._replan(now)
        else:
            notices = alarms.fire(t, alarm, now, chase=self._chase)
            if self._local:  # the breach shows in the overdue view one round trip sooner
                await self._project()
            if self._chase:
                await steps.notify(t, notices)
        if not self._local or t.seq != self._projected_seq:
            await self._project()

    async def _open_deadlines(self, requests: list[DeadlineRequest], now: datetime) -> None:
        t = self._ticket
        if not self._chase:
            for req in requests:
                if req.stage == DeadlineStage.HANDLE:
                    continue
                due = req.due_at or await steps.plan_v1(t, req.stage, now, req.working_days)
                self._add_deadline(Deadline(stage=req.stage, started_at=now, due_at=due))
            return
        if not requests:
            return
        asks = [
            ScheduleRequest(
                kind="open",
                stage=r.stage,
                start=now,
                due_at=r.due_at,
                amount=r.working_days,
                unit=Unit.WORKING_DAYS if r.working_days else None,
            )
            for r in requests
        ]
        result = await self._schedule(asks)
        for deadline in result.deadlines:
            self._add_deadline(deadline)
        if result.failures:
            failed = {f.stage: f.error for f in result.failures}
            t.unplanned += [
                UnplannedDeadline(
                    stage=a.stage, start=now, amount=a.amount, unit=a.unit, error=failed[a.stage]
                )
                for a in asks
                if a.stage in failed
            ]
            await self._calendar_alert(result.failures[0].error, now)

    def _add_deadline(self, deadline: Deadline) -> None:
        t = self._ticket
        t.deadlines.append(deadline)
        if deadline.stage == DeadlineStage.RECTIFY and t.finding is not None:
            t.finding.rectify_due_at = deadline.due_at

    async def _schedule(self, asks: list[ScheduleRequest]) -> ScheduleResult:
        result = await steps.schedule(self._ticket, asks, local=self._local)
        self._ticket.alarm_policy = result.alarm_policy
        return result

    async def _calendar_alert(self, message: str, now: datetime) -> None:
        """A deadline cannot be dated: say so loudly, and try again every hour."""
        t = self._ticket
        t.next_replan_at = now + REPLAN_EVERY
        transitions.record(
            t,
            now=now,
            actor=SYSTEM_ACTOR,
            action=Action.CALENDAR_ALERT,
            reason=message,
            data={"stages": [u.stage.value for u in t.unplanned]},
        )
        workflow.logger.error(
            "deadline cannot be planned: calendar gap", extra={"ticket_id": t.ticket_id}
        )
        await steps.notify(t, [alarms.Notice(kind="replan", target="command-centre")])

    async def _replan(self, now: datetime) -> None:
        t = self._ticket
        asks = [
            ScheduleRequest(kind="open", stage=u.stage, start=u.start, amount=u.amount, unit=u.unit)
            for u in t.unplanned
        ]
        result = await self._schedule(asks)
        still = {f.stage for f in result.failures}
        t.unplanned = [u for u in t.unplanned if u.stage in still]
        for deadline in result.deadlines:
            self._add_deadline(deadline)
        t.next_replan_at = now + REPLAN_EVERY if t.unplanned else None
        if result.deadlines:
            transitions.record(
                t,
                now=now,
                actor=SYSTEM_ACTOR,
                action=Action.CALENDAR_ALERT,
                reason="calendar loaded: deadlines planned",
                data={"due": {d.stage.value: d.due_at.isoformat() for d in result.deadlines}},
            )

    async def _unpark(self, actor: Actor, reason: str) -> None:
        t, now = self._ticket, workflow.now()
        parking = t.parking
        assert parking is not None  # only a parked ticket has a review alarm or takes unpark
        parked_at = parking.parked_at
        paused = [d for d in t.open_deadlines if d.paused_at is not None]
        asks = [
            ScheduleRequest(
                kind="shift",
                stage=d.stage,
                start=d.started_at,
                due_at=d.due_at,
                unit=d.unit,
                paused_from=parked_at,
                paused_to=now,
                fired=[w.fraction for w in d.warnings if w.fired_at],
                warnings=[w for w in d.warnings if not w.fired_at],
            )
            for d in paused
        ]
        result = await self._schedule(asks) if asks else None
        if result and result.failures:
            message = result.failures[0].error
            if actor is not SYSTEM_ACTOR:
                raise ApplicationError(
                    message, {"field": "calendar"}, type="invalid", non_retryable=True
                )
            parking.review_at = now + REPLAN_EVERY  # stay parked; never guess the dates
            await self._calendar_alert(message, now)
            return
        shifted = {d.stage: d for d in result.deadlines} if result else {}
        holds.unpark(t, shifted=shifted, now=now, actor=actor, reason=reason)
        await steps.notify(t, [alarms.Notice(kind="review", target=alarms.owner(t, None))])

    async def _project(self) -> None:
        seq = self._ticket.seq  # a signal may add events while the write is under way
        published = self._ticket.model_copy(deep=True)
        await steps.project(
            self._ticket, since_seq=self._projected_seq, chase=self._chase, only_changed=self._local
        )
        self._projected_seq, self._published = seq, published

    def _validate(self, request: ActionInput) -> None:
        if not self._chase and request.action not in lifecycle.V1_ACTIONS:
            raise ApplicationError(
                f"this ticket predates {request.action}; it cannot take it",
                {"state": self._ticket.status.value},
                type="conflict",
                non_retryable=True,
            )
        try:
            lifecycle.check(request, self._ticket, workflow.now())
        except Refusal as refusal:
            raise ApplicationError(
                refusal.message, refusal.details, type=refusal.kind, non_retryable=True
            ) from None

    async def _act(self, request: ActionInput) -> TicketSnapshot:
        async with self._lock:
            self._validate(request)  # again: another action may have moved the ticket meanwhile
            await HANDLERS[request.action](self, request, workflow.now())
            await self._project()
            return self._ticket

    async def _transition(self, request: ActionInput, now: datetime) -> None:
        opened = transitions.apply(self._ticket, request, now=now)
        await self._open_deadlines(opened, now)
        await self._after(request)

    async def _hold(self, request: ActionInput, now: datetime) -> None:
        holds.apply(self._ticket, request, now)

    async def _unpark_now(self, request: UnparkInput, now: datetime) -> None:
        await self._unpark(request.actor, request.note or "unparked by a supervisor")

    async def _keep_separate(self, request: KeepSeparateInput, now: datetime) -> None:
        duplicates.keep_separate(self._ticket, request, now)

    async def _urge(self, request: UrgeInput, now: datetime) -> None:
        notice = urge.urge(self._ticket, request, now)
        await steps.notify(self._ticket, [notice])

    async def _redate(self, request: RedateInput, now: datetime) -> None:
        """A year's notice moved the running deadlines: apply the changes that still fit the
        ticket (the clock re-arms on the new event), record them, tell each owner of a move."""
        t = self._ticket
        if not workflow.patched(REDATE_PATCH):
            return  # not reached: no history from before the handler holds a redate
        applied = redating.apply_redating(t.deadlines, request.changes)
        if not applied:
            return
        for deadline, _ in applied:
            if deadline.stage == DeadlineStage.RECTIFY and t.finding is not None:
                t.finding.rectify_due_at = deadline.due_at
        transitions.record(
            t,
            now=now,
            actor=request.actor,
            action=Action.REDATE,
            reason=f"{request.year} 年放假安排：{request.source}",
            data={
                "year": request.year,
                "source": request.source,
                "loaded_by": request.loaded_by,
                "deadlines": {
                    c.stage.value: {
                        "from": c.old_due_at.isoformat(),
                        "to": c.due_at.isoformat(),
                        "provisional": c.provisional,
                    }
                    for _, c in applied
                },
            },
        )
        notices = [
            alarms.Notice(
                kind="redate",
                target=alarms.owner(t, c.stage),
                stage=c.stage,
                due_at=c.due_at,
                data={
                    "message": redating.notice_message(c, year=request.year, source=request.source)
                },
            )
            for _, c in applied
            if c.moved
        ]
        if notices:
            await steps.notify(t, notices)

    async def _after(self, request: ActionInput) -> None:
        """Who else must hear of this action: the subject the ticket concerns, the centre."""
        t = self._ticket
        severity = t.finding.severity if t.finding is not None else None
        if t.subject_code and severity is not None:  # a finding that asks for rectification
            if request.action == Action.VERIFY:
                await steps.tell_subject(t, ProblemFound(ticket_id=t.ticket_id, severity=severity))
            elif request.action in (Action.WRITE_OFF, Action.CANCEL):
                await steps.tell_subject(
                    t,
                    ProblemClosed(
                        ticket_id=t.ticket_id, rectified=request.action == Action.WRITE_OFF
                    ),
                )
        if (
            request.action == Action.RETURN
            and t.return_count >= 2
            and self._chase
            and workflow.patched(SECOND_RETURN_PATCH)
        ):
            # Returned twice: the routing is in doubt, a supervisor must look at it.
            transitions.record(
                t,
                now=workflow.now(),
                actor=SYSTEM_ACTOR,
                action=Action.ESCALATE,
                reason="returned twice: a supervisor decides",
                data={"to": "command-centre", "return_count": t.return_count},
            )
            await steps.notify(t, [alarms.Notice(kind="return", target="command-centre")])

    async def _merge(self, request: MergeInput, now: datetime) -> None:
        """Tell the surviving ticket first: if it cannot hear (closed, unknown), nothing changes."""
        t = self._ticket
        link = ReportLink(ticket_id=t.ticket_id, reporter_id=t.reporter_id, at=now)
        try:
            await workflow.get_external_workflow_handle(request.into).signal("attach_report", link)
        except Exception as err:  # refused as a business answer, never a stuck workflow task
            raise ApplicationError(
                f"ticket {request.into} cannot take reports: {err}",
                {"field": "into"},
                type="conflict",
                non_retryable=True,
            ) from None
        duplicates.merge(t, request, now)

    async def _approve_extension(self, decision: ExtensionDecisionInput, now: datetime) -> None:
        t = self._ticket
        target = holds.extension_target(t)
        asked = t.extension_request
        moved = None
        if target is not None and asked is not None:
            ask = ScheduleRequest(
                kind="extend",
                stage=target.stage,
                start=target.started_at,
                due_at=target.due_at,
                amount=asked.working_days,
                unit=target.unit,
                fired=[w.fraction for w in target.warnings if w.fired_at],
            )
            result = await self._schedule([ask])
            if result.failures:
                raise ApplicationError(
                    result.failures[0].error,
                    {"field": "calendar"},
                    type="invalid",
                    non_retryable=True,
                )
            moved = result.deadlines[0]
        holds.approve_extension(
            t,
            decision,
            new_due=moved.due_at if moved else now,
            warnings=moved.warnings if moved else [],
            now=now,
        )


# Which of TicketCore's methods carries out each action people take; where the action leads is
# domain/state_machine.py's.
HANDLERS: dict[Action, Callable[[TicketCore, Any, datetime], Awaitable[None]]] = {
    **dict.fromkeys(
        (
            Action.DISPATCH,
            Action.CLAIM,
            Action.RETURN,
            Action.START_VERIFICATION,
            Action.VERIFY,
            Action.RECTIFIED,
            Action.WRITE_OFF,
            Action.REJECT,
            Action.CANCEL,
        ),
        TicketCore._transition,
    ),
    **dict.fromkeys(
        (
            Action.REQUEST_EXTENSION,
            Action.REFUSE_EXTENSION,
            Action.REQUEST_PARKING,
            Action.APPROVE_PARKING,
            Action.REFUSE_PARKING,
        ),
        TicketCore._hold,
    ),
    Action.APPROVE_EXTENSION: TicketCore._approve_extension,
    Action.UNPARK: TicketCore._unpark_now,
    Action.MERGE: TicketCore._merge,
    Action.KEEP_SEPARATE: TicketCore._keep_separate,
    Action.URGE: TicketCore._urge,
    Action.REDATE: TicketCore._redate,
}
