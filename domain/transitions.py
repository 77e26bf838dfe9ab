"""What each action does to a ticket: pure state changes plus the deadlines it opens.

The workflow validates with `domain.lifecycle`, applies with `apply`, then asks an activity to put
calendar dates on the deadlines returned here (calendar data stays out of workflow code).
"""
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from domain.actions import (
    ActionInput,
    CancelInput,
    DispatchInput,
    RejectInput,
    ReturnInput,
    VerifyInput,
)
from domain.models import Actor, Finding, RoutingDecision, TicketEvent, TicketSnapshot
from domain.states import DEPARTMENT_STATUSES, Action, DeadlineStage, FindingOutcome, TicketStatus

S = TicketStatus
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
    to: TicketStatus,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append one timeline event and move the ticket to its new status."""
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


def close_deadlines(ticket: TicketSnapshot, stages: set[DeadlineStage], now: datetime, *, met: bool) -> None:
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
        record(ticket, now=now, actor=actor, action=Action.ROUTE, to=S.MANUAL_DISPATCH,
               reason=decision.reason, data=data)
        return []
    record(ticket, now=now, actor=actor, action=Action.ROUTE, to=S.ROUTED,
           reason=decision.reason, data=data)
    return _dispatch(ticket, decision.department, now=now, actor=actor, reason=None)


def _dispatch(
    ticket: TicketSnapshot, department: str, *, now: datetime, actor: Actor, reason: str | None
) -> list[DeadlineRequest]:
    close_deadlines(ticket, {Stage.DISPATCH}, now, met=True)
    ticket.department = department
    ticket.claimed_by = None
    record(ticket, now=now, actor=actor, action=Action.DISPATCH, to=S.DISPATCHED,
           reason=reason, data={"department": department})
    return [DeadlineRequest(stage=Stage.CLAIM), DeadlineRequest(stage=Stage.VERIFY),
            DeadlineRequest(stage=Stage.HANDLE)]


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
            record(ticket, now=now, actor=actor, action=Action.RETURN, to=S.MANUAL_DISPATCH,
                   reason=request.reason, data=data)
            return [DeadlineRequest(stage=Stage.DISPATCH)]
        case VerifyInput():
            return _verify(ticket, request, now=now, data=data)
        case RejectInput():
            close_deadlines(ticket, {Stage.WRITE_OFF}, now, met=True)
            ticket.rework_count += 1
            record(ticket, now=now, actor=actor, action=Action.REJECT, to=S.RECTIFYING,
                   reason=request.reason, data=data)
            return [DeadlineRequest(stage=Stage.RECTIFY, working_days=request.rework_working_days)]
        case CancelInput():
            close_deadlines(ticket, set(Stage), now, met=False)
            ticket.extension_request = ticket.parking_request = ticket.parking = None
            ticket.cancel_kind = request.kind
            ticket.closed_at = now
            data |= {"kind": request.kind.value, "duplicate_of": request.duplicate_of}
            record(ticket, now=now, actor=actor, action=Action.CANCEL, to=S.CANCELLED,
                   reason=request.reason, data=data)
            return []
    return _simple(ticket, request, now=now, data=data)


def _simple(
    ticket: TicketSnapshot, request: ActionInput, *, now: datetime, data: dict[str, Any]
) -> list[DeadlineRequest]:
    actor = request.actor
    match request.action:
        case Action.CLAIM:
            close_deadlines(ticket, {Stage.CLAIM}, now, met=True)
            ticket.claimed_by = actor.user_id
            record(ticket, now=now, actor=actor, action=Action.CLAIM, to=S.CLAIMED, data=data)
        case Action.START_VERIFICATION:
            record(ticket, now=now, actor=actor, action=Action.START_VERIFICATION,
                   to=S.VERIFYING, data=data)
        case Action.RECTIFIED:
            close_deadlines(ticket, {Stage.RECTIFY}, now, met=True)
            record(ticket, now=now, actor=actor, action=Action.RECTIFIED, to=S.RESOLVED, data=data)
            return [DeadlineRequest(stage=Stage.WRITE_OFF)]
        case Action.WRITE_OFF:
            close_deadlines(ticket, {Stage.WRITE_OFF}, now, met=True)
            ticket.closed_at = now
            record(ticket, now=now, actor=actor, action=Action.WRITE_OFF, to=S.WRITTEN_OFF,
                   data=data)
        case _:
            raise ValueError(f"no transition for {request.action}")
    return []


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
        record(ticket, now=now, actor=request.actor, action=Action.VERIFY, to=S.RESOLVED, data=data)
        return [DeadlineRequest(stage=Stage.WRITE_OFF)]
    # From here the finding's rectification deadline governs, not the category's handling limit.
    close_deadlines(ticket, {Stage.HANDLE}, now, met=False)
    record(ticket, now=now, actor=request.actor, action=Action.VERIFY, to=S.RECTIFYING, data=data)
    return [
        DeadlineRequest(
            stage=Stage.RECTIFY,
            due_at=request.rectify_due_at,
            working_days=request.rectify_working_days,
        )
    ]
