"""What each action does to a ticket: pure state changes plus the deadlines it opens.

The workflow validates with `domain.lifecycle`, applies with `apply`, then asks an activity to put
calendar dates on the deadlines returned here (calendar data stays out of workflow code).
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from domain import state_machine
from domain.actions import (
    ActionInput,
    CancelInput,
    DispatchInput,
    RejectInput,
    ReturnInput,
    VerifyInput,
)
from domain.models import Actor, Finding, RoutingDecision, TicketEvent, TicketSnapshot
from domain.state_machine import When
from domain.states import DEPARTMENT_STATUSES, Action, DeadlineStage, FindingOutcome, TicketStatus

Stage = DeadlineStage


class DeadlineRequest(BaseModel):
    stage: DeadlineStage
    due_at: datetime | None = None  # given outright (a finding's date)
    working_days: int | None = None  # else: this many working days, or the policy's default


def record(
    ticket: TicketSnapshot,
    *,
    now: datetime,
    actor: Actor,
    action: Action,
    when: When | None = None,
    to: TicketStatus | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append one timeline event and move the ticket to its new status: where the state machine's
    row for (action, when) leads, unless `to` says otherwise (tests building a timeline)."""
    if to is None:
        to = state_machine.next_status(action, ticket.status, when)
    ticket.seq += 1
    event = TicketEvent(
        seq=ticket.seq,
        at=now,
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        from_status=None if action == Action.SUBMIT else ticket.status,
        to_status=to,
        reason=reason,
        data=data or {},
    )
    ticket.events.append(event)
    ticket.status = to
    ticket.updated_at = now
    return event


def close_deadlines(
    ticket: TicketSnapshot, stages: set[DeadlineStage], now: datetime, *, met: bool
) -> None:
    for d in ticket.deadlines:
        if d.is_open and d.stage in stages:
            if met:
                d.met_at = now
            else:
                d.voided_at = now


def apply_routing(
    ticket: TicketSnapshot, decision: RoutingDecision, *, now: datetime, actor: Actor
) -> list[DeadlineRequest]:
    ticket.routing = decision
    data = decision.model_dump(mode="json")
    if decision.department is None:
        return _move(
            ticket,
            now=now,
            actor=actor,
            action=Action.ROUTE,
            when=When.NO_RULE,
            reason=decision.reason,
            data=data,
        )
    _move(
        ticket,
        now=now,
        actor=actor,
        action=Action.ROUTE,
        when=When.RULE_MATCHED,
        reason=decision.reason,
        data=data,
    )
    return _dispatch(ticket, decision.department, now=now, actor=actor, reason=None)


def _dispatch(
    ticket: TicketSnapshot, department: str, *, now: datetime, actor: Actor, reason: str | None
) -> list[DeadlineRequest]:
    close_deadlines(ticket, {Stage.DISPATCH}, now, met=True)
    ticket.department = department
    ticket.claimed_by = None
    return _move(
        ticket,
        now=now,
        actor=actor,
        action=Action.DISPATCH,
        reason=reason,
        data={"department": department},
    )


def _move(
    ticket: TicketSnapshot,
    *,
    now: datetime,
    actor: Actor,
    action: Action,
    when: When | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    **deadline: Any,
) -> list[DeadlineRequest]:
    """Record the event; the deadlines its row opens, each with the dates the input gave."""
    record(ticket, now=now, actor=actor, action=action, when=when, reason=reason, data=data)
    return [DeadlineRequest(stage=stage, **deadline) for stage in state_machine.opens(action, when)]


def apply(ticket: TicketSnapshot, request: ActionInput, *, now: datetime) -> list[DeadlineRequest]:
    """Carry out an already-validated action; returns the deadlines it opens."""
    opened = _apply(ticket, request, now=now)
    if ticket.status not in DEPARTMENT_STATUSES:
        # A request for more time or a pause lapses once the work left the department.
        ticket.extension_request = ticket.parking_request = None
    return opened


def _apply(ticket: TicketSnapshot, request: ActionInput, *, now: datetime) -> list[DeadlineRequest]:
    actor, note = request.actor, request.note
    data: dict[str, Any] = {"note": note} if note else {}
    if request.photo_ids:
        data["photo_ids"] = list(request.photo_ids)
    match request:
        case DispatchInput():
            return _dispatch(ticket, request.department, now=now, actor=actor, reason=note)
        case ReturnInput():
            close_deadlines(ticket, {Stage.CLAIM, Stage.VERIFY, Stage.HANDLE}, now, met=False)
            ticket.extension_request = ticket.parking_request = None
            data["returned_by_department"] = ticket.department
            ticket.department, ticket.claimed_by = None, None
            ticket.return_count += 1
            return _move(
                ticket, now=now, actor=actor, action=Action.RETURN, reason=request.reason, data=data
            )
        case VerifyInput():
            return _verify(ticket, request, now=now, data=data)
        case RejectInput():
            close_deadlines(ticket, {Stage.WRITE_OFF}, now, met=True)
            ticket.rework_count += 1
            return _move(
                ticket,
                now=now,
                actor=actor,
                action=Action.REJECT,
                reason=request.reason,
                data=data,
                working_days=request.rework_working_days,
            )
        case CancelInput():
            close_deadlines(ticket, set(Stage), now, met=False)
            ticket.extension_request = ticket.parking_request = ticket.parking = None
            ticket.cancel_kind = request.kind
            ticket.closed_at = now
            data |= {"kind": request.kind.value, "duplicate_of": request.duplicate_of}
            return _move(
                ticket, now=now, actor=actor, action=Action.CANCEL, reason=request.reason, data=data
            )
    return _simple(ticket, request, now=now, data=data)


def _simple(
    ticket: TicketSnapshot, request: ActionInput, *, now: datetime, data: dict[str, Any]
) -> list[DeadlineRequest]:
    actor = request.actor
    match request.action:
        case Action.CLAIM:
            close_deadlines(ticket, {Stage.CLAIM}, now, met=True)
            ticket.claimed_by = actor.user_id
        case Action.START_VERIFICATION:
            pass  # on site: no clock starts or stops until the finding
        case Action.RECTIFIED:
            close_deadlines(ticket, {Stage.RECTIFY}, now, met=True)
        case Action.WRITE_OFF:
            close_deadlines(ticket, {Stage.WRITE_OFF}, now, met=True)
            ticket.closed_at = now
        case _:
            raise ValueError(f"no transition for {request.action}")
    return _move(ticket, now=now, actor=actor, action=request.action, data=data)


def _verify(
    ticket: TicketSnapshot, request: VerifyInput, *, now: datetime, data: dict[str, Any]
) -> list[DeadlineRequest]:
    close_deadlines(ticket, {Stage.CLAIM, Stage.VERIFY}, now, met=True)
    if ticket.claimed_by is None:
        ticket.claimed_by = request.actor.user_id
    ticket.finding = Finding(
        outcome=request.outcome,
        severity=request.severity,
        rectify_due_at=request.rectify_due_at,
        note=request.note,
    )
    data["finding"] = ticket.finding.model_dump(mode="json", exclude_none=True)
    if request.outcome != FindingOutcome.NEEDS_RECTIFICATION:
        close_deadlines(ticket, {Stage.HANDLE}, now, met=True)
        return _move(
            ticket, now=now, actor=request.actor, action=Action.VERIFY, when=When.SETTLED, data=data
        )
    # From here the finding's rectification deadline governs, not the category's handling limit.
    close_deadlines(ticket, {Stage.HANDLE}, now, met=False)
    return _move(
        ticket,
        now=now,
        actor=request.actor,
        action=Action.VERIFY,
        when=When.NEEDS_RECTIFICATION,
        data=data,
        due_at=request.rectify_due_at,
        working_days=request.rectify_working_days,
    )
