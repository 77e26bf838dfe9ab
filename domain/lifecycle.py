"""Who may take which action in which state: pure rules, shared by workflow validators and tests."""

from datetime import datetime

from domain import holds, state_machine
from domain.actions import (
    ActionInput,
    CancelInput,
    MergeInput,
    RejectInput,
    RequestExtensionInput,
    RequestParkingInput,
    ReturnInput,
    UrgeInput,
    VerifyInput,
)
from domain.models import Actor, TicketSnapshot
from domain.refusal import Refusal
from domain.state_machine import Owner
from domain.states import Action, FindingOutcome, Role, TicketStatus

S = TicketStatus

# Views of domain/state_machine.py's table: the states each action people take may start from,
# and whose it is to take.
ALLOWED_FROM = state_machine.ALLOWED_FROM
DEPARTMENT_ACTIONS = frozenset(a for a, o in state_machine.OWNER.items() if o == Owner.DEPARTMENT)
WRITE_OFF_ACTIONS = frozenset(a for a, o in state_machine.OWNER.items() if o == Owner.GRID)
SUPERVISOR_ACTIONS = frozenset(a for a, o in state_machine.OWNER.items() if o == Owner.SUPERVISOR)
# Actions a ticket started before deadline alarms knows (see workflows/core.py ALARMS_PATCH).
V1_ACTIONS = frozenset(
    {
        Action.DISPATCH,
        Action.CLAIM,
        Action.RETURN,
        Action.START_VERIFICATION,
        Action.VERIFY,
        Action.RECTIFIED,
        Action.WRITE_OFF,
        Action.REJECT,
        Action.CANCEL,
    }
)
# What may still happen to a parked ticket: its clock stands still until it comes back.
# A parked ticket's deadlines are paused (re-dated when it is unparked): a re-date changes none.
WHILE_PARKED = frozenset({Action.UNPARK, Action.CANCEL, Action.REDATE})

MAX_TEXT = 2000
MAX_URGE = 500  # a 催办 is read on a phone, often as an SMS
# Not routed yet: no department to compare an actor with. Submitted moves on within a second or
# so (routing); a duplicate review waits for a supervisor.
NOT_ROUTED = frozenset({S.SUBMITTED, S.DUPLICATE_REVIEW})
ROUTING_RETRY_AFTER_S = 1


ONLY = {
    Owner.DEPARTMENT: "department staff",
    Owner.GRID: "the grid's worker or a supervisor",
    Owner.SUPERVISOR: "a supervisor",
    Owner.ADMIN: "an admin",
}


def check_actor(action: Action, ticket: TicketSnapshot, actor: Actor) -> None:
    """Refuse an actor whose role, department or grid does not own this action on this ticket."""
    owner = state_machine.OWNER.get(action)
    if owner is None:
        raise Refusal("forbidden", f"{action} is not a human action")
    if actor.role not in state_machine.ROLES[owner]:
        raise Refusal("forbidden", f"only {ONLY[owner]} may {action}")
    if owner == Owner.DEPARTMENT:
        if ticket.status in NOT_ROUTED:
            return  # whose it will be is not known yet: check_state says it must wait
        if ticket.department is None or actor.department != ticket.department:
            raise Refusal(
                "forbidden", f"ticket {ticket.ticket_id} is not assigned to your department"
            )
    elif owner == Owner.GRID and actor.role == Role.GRID_WORKER and ticket.grid not in actor.grids:
        raise Refusal("forbidden", f"ticket {ticket.ticket_id} is not in your grids")


def check_state(action: Action, ticket: TicketSnapshot) -> None:
    if ticket.parking is not None and action not in WHILE_PARKED:
        raise Refusal(
            "conflict",
            f"ticket {ticket.ticket_id} is parked until {ticket.parking.review_at.isoformat()}; "
            f"a supervisor must unpark it before it can {action}",
            state=ticket.status.value,
            parked_until=ticket.parking.review_at.isoformat(),
        )
    if ticket.status == S.SUBMITTED and S.SUBMITTED not in ALLOWED_FROM[action]:
        raise Refusal(
            "not_routed_yet",
            f"ticket {ticket.ticket_id} is still being routed; retry in {ROUTING_RETRY_AFTER_S} s",
            state=ticket.status.value,
            retry_after_s=ROUTING_RETRY_AFTER_S,
        )
    if ticket.status not in ALLOWED_FROM[action]:
        allowed = sorted(s.value for s in ALLOWED_FROM[action])
        raise Refusal(
            "conflict",
            f"cannot {action} a ticket in state '{ticket.status}'",
            state=ticket.status.value,
            allowed_states=allowed,
        )


def check_input(request: ActionInput, ticket: TicketSnapshot, now: datetime) -> None:
    for name in ("note", "reason"):
        text = getattr(request, name, None)
        if text is not None and len(text) > MAX_TEXT:
            raise Refusal("invalid", f"{name} is longer than {MAX_TEXT} characters", field=name)
    if (
        isinstance(
            request,
            (ReturnInput, RejectInput, CancelInput, RequestExtensionInput, RequestParkingInput),
        )
        and not request.reason.strip()
    ):
        raise Refusal("invalid", f"a reason is required to {request.action}", field="reason")
    if isinstance(request, CancelInput) and request.duplicate_of == ticket.ticket_id:
        raise Refusal("invalid", "a ticket cannot duplicate itself", field="duplicate_of")
    if isinstance(request, VerifyInput):
        _check_finding(request, now)
    if isinstance(request, MergeInput) and request.into == ticket.ticket_id:
        raise Refusal("invalid", "a report cannot be merged into itself", field="into")
    if isinstance(request, UrgeInput):
        _check_urge(request)
    holds.check(request, ticket, now)


def _check_urge(request: UrgeInput) -> None:
    if not request.message.strip():
        raise Refusal("invalid", "a 催办 needs a message", field="message")
    if len(request.message) > MAX_URGE:
        raise Refusal("invalid", f"message is longer than {MAX_URGE} characters", field="message")


def _check_finding(request: VerifyInput, now: datetime) -> None:
    if request.outcome != FindingOutcome.NEEDS_RECTIFICATION:
        if request.severity or request.rectify_due_at or request.rectify_working_days:
            raise Refusal(
                "invalid",
                "severity and rectification deadline only apply to needs_rectification",
                field="outcome",
            )
        return
    if request.severity is None:
        raise Refusal("invalid", "needs_rectification requires a severity", field="severity")
    given = [request.rectify_due_at is not None, request.rectify_working_days is not None]
    if sum(given) != 1:
        raise Refusal(
            "invalid",
            "needs_rectification requires exactly one of rectify_due_at or rectify_working_days",
            field="rectify_due_at",
        )
    if request.rectify_due_at is not None and request.rectify_due_at.tzinfo is None:
        raise Refusal("invalid", "rectify_due_at must include a timezone", field="rectify_due_at")
    if request.rectify_due_at is not None and request.rectify_due_at <= now:
        raise Refusal("invalid", "rectify_due_at must be in the future", field="rectify_due_at")


def check(request: ActionInput, ticket: TicketSnapshot, now: datetime) -> None:
    """All checks in the order a caller should hear them: who, then when, then what."""
    check_actor(request.action, ticket, request.actor)
    check_state(request.action, ticket)
    check_input(request, ticket, now)
