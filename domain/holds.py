"""Extensions (延期申请) and parking (挂账): the rules and the state changes that need no calendar."""

from datetime import datetime, timedelta

from domain import alarms
from domain.actions import (
    ActionInput,
    ExtensionDecisionInput,
    ParkingDecisionInput,
    RequestExtensionInput,
    RequestParkingInput,
    UnparkInput,
)
from domain.models import (
    Actor,
    Deadline,
    DeadlineWarning,
    ExtensionRequest,
    Parking,
    ParkingRequest,
    TicketSnapshot,
)
from domain.refusal import Refusal
from domain.states import DEPARTMENT_STAGES, Action, DeadlineStage
from domain.transitions import record

MAX_PARKING = timedelta(days=366)


def department_deadline(ticket: TicketSnapshot) -> Deadline | None:
    """The soonest open deadline the department answers for: the one an extension moves."""
    mine = [d for d in ticket.open_deadlines if d.stage in DEPARTMENT_STAGES]
    return min(mine, key=lambda d: d.due_at) if mine else None


def check(request: ActionInput, ticket: TicketSnapshot, now: datetime) -> None:
    match request:
        case RequestExtensionInput():
            _check_extension_request(request, ticket, now)
        case ExtensionDecisionInput():
            if ticket.extension_request is None:
                raise Refusal(
                    "conflict", "there is no extension request to decide", state=ticket.status.value
                )
        case RequestParkingInput():
            if ticket.parking_request is not None:
                raise Refusal(
                    "conflict",
                    "a parking request is already waiting for a supervisor",
                    state=ticket.status.value,
                )
            if request.review_at.tzinfo is None:
                raise Refusal("invalid", "review_at must include a timezone", field="review_at")
            if not now < request.review_at <= now + MAX_PARKING:
                raise Refusal(
                    "invalid",
                    "review_at must be in the future and within a year",
                    field="review_at",
                )
        case ParkingDecisionInput():
            if ticket.parking_request is None:
                raise Refusal(
                    "conflict", "there is no parking request to decide", state=ticket.status.value
                )
        case UnparkInput():
            if ticket.parking is None:
                raise Refusal("conflict", "the ticket is not parked", state=ticket.status.value)


def _check_extension_request(
    request: RequestExtensionInput, ticket: TicketSnapshot, now: datetime
) -> None:
    if ticket.extension_request is not None:
        raise Refusal(
            "conflict",
            "an extension request is already waiting for a supervisor",
            state=ticket.status.value,
        )
    target = department_deadline(ticket)
    if target is None:
        raise Refusal(
            "conflict",
            "no department deadline is running on this ticket",
            state=ticket.status.value,
        )
    if target.breached_at is not None or now >= target.due_at:
        raise Refusal(
            "conflict",
            f"too late: the {target.stage} deadline passed at {target.due_at.isoformat()}; "
            "extensions must be requested before the deadline",
            state=ticket.status.value,
            stage=target.stage.value,
        )
    cap = ticket.alarm_policy.max_extension_working_days
    used = sum(d.extended_working_days for d in ticket.deadlines)
    if used + request.working_days > cap:
        raise Refusal(
            "invalid",
            f"the extension would bring this ticket to {used + request.working_days} working days "
            f"of extension; the cap is {cap} ({used} already granted)",
            field="working_days",
        )


def request_extension(
    ticket: TicketSnapshot, request: RequestExtensionInput, now: datetime
) -> ExtensionRequest:
    target = department_deadline(ticket)
    assert target is not None  # checked
    ticket.extension_request = ExtensionRequest(
        stage=target.stage,
        working_days=request.working_days,
        reason=request.reason,
        requested_by=request.actor.user_id,
        requested_at=now,
    )
    return ticket.extension_request


def extension_target(ticket: TicketSnapshot) -> Deadline | None:
    """The open deadline a pending request asked to move (it may have been met meanwhile)."""
    pending = ticket.extension_request
    if pending is None:
        return None
    return next((d for d in ticket.open_deadlines if d.stage == pending.stage), None)


def request_parking(ticket: TicketSnapshot, request: RequestParkingInput, now: datetime) -> None:
    ticket.parking_request = ParkingRequest(
        reason=request.reason,
        review_at=request.review_at,
        requested_by=request.actor.user_id,
        requested_at=now,
    )


def park(ticket: TicketSnapshot, decision: ParkingDecisionInput, now: datetime) -> Parking:
    """Stop every running clock until the review date."""
    pending = ticket.parking_request
    assert pending is not None and decision.action == Action.APPROVE_PARKING
    ticket.parking = parking = Parking(
        parked_at=now,
        review_at=pending.review_at,
        reason=pending.reason,
        approved_by=decision.actor.user_id,
    )
    ticket.parking_request = None
    for d in ticket.open_deadlines:
        d.paused_at = now
    ticket.next_escalation_at = ticket.next_reminder_at = None
    return parking


def apply(ticket: TicketSnapshot, request: ActionInput, now: datetime) -> None:
    """Requests and refusals, and parking approval: no dates to compute."""
    actor, data = request.actor, {"note": request.note} if request.note else {}
    match request:
        case RequestExtensionInput():
            pending = request_extension(ticket, request, now)
            record(
                ticket,
                now=now,
                actor=actor,
                action=Action.REQUEST_EXTENSION,
                reason=request.reason,
                data=data | {"stage": pending.stage.value, "working_days": request.working_days},
            )
        case ExtensionDecisionInput(action=Action.REFUSE_EXTENSION):
            asked = ticket.extension_request
            assert asked is not None  # checked
            ticket.extension_request = None
            record(
                ticket,
                now=now,
                actor=actor,
                action=Action.REFUSE_EXTENSION,
                reason=request.reason,
                data=data | {"stage": asked.stage.value, "working_days": asked.working_days},
            )
        case RequestParkingInput():
            request_parking(ticket, request, now)
            record(
                ticket,
                now=now,
                actor=actor,
                action=Action.REQUEST_PARKING,
                reason=request.reason,
                data=data | {"review_at": request.review_at.isoformat()},
            )
        case ParkingDecisionInput(action=Action.APPROVE_PARKING):
            parking = park(ticket, request, now)
            record(
                ticket,
                now=now,
                actor=actor,
                action=Action.APPROVE_PARKING,
                reason=request.reason or parking.reason,
                data=data | {"review_at": parking.review_at.isoformat()},
            )
        case ParkingDecisionInput(action=Action.REFUSE_PARKING):
            ticket.parking_request = None
            record(
                ticket,
                now=now,
                actor=actor,
                action=Action.REFUSE_PARKING,
                reason=request.reason,
                data=data,
            )
        case _:
            raise ValueError(f"{request.action} needs the calendar: the workflow carries it out")


def approve_extension(
    ticket: TicketSnapshot,
    decision: ExtensionDecisionInput,
    *,
    new_due: datetime,
    warnings: list[DeadlineWarning],
    now: datetime,
) -> None:
    asked = ticket.extension_request
    assert asked is not None
    target = extension_target(ticket)
    ticket.extension_request = None
    data = {"stage": asked.stage.value, "working_days": asked.working_days}
    if target is not None:
        data |= {"from_due_at": target.due_at.isoformat(), "due_at": new_due.isoformat()}
        target.due_at = new_due
        target.breached_at = None  # asked in time; the moved deadline decides from now on
        target.extended_working_days += asked.working_days
        fired = {w.fraction for w in target.warnings if w.fired_at is not None}
        target.warnings = [w for w in target.warnings if w.fraction in fired] + [
            w for w in warnings if w.fraction not in fired
        ]
        ticket.extension_count += 1
    record(
        ticket,
        now=now,
        actor=decision.actor,
        action=Action.APPROVE_EXTENSION,
        reason=decision.reason,
        data=data,
    )


def unpark(
    ticket: TicketSnapshot,
    *,
    shifted: dict[DeadlineStage, Deadline],
    now: datetime,
    actor: Actor,
    reason: str,
) -> None:
    """Restart the clocks: each paused deadline keeps the time it had left when parked."""
    parking = ticket.parking
    assert parking is not None
    for d in ticket.open_deadlines:
        moved = shifted.get(d.stage)
        if moved is not None:
            d.due_at, d.warnings = moved.due_at, moved.warnings
        d.paused_at = None
    ticket.parking = None
    if ticket.overdue:  # parking cleared the chase; a deadline still late needs it again
        alarms.resume(ticket, now)
    record(
        ticket,
        now=now,
        actor=actor,
        action=Action.UNPARK,
        reason=reason,
        data={
            "parked_at": parking.parked_at.isoformat(),
            "dues": {s.value: d.due_at.isoformat() for s, d in shifted.items()},
        },
    )
