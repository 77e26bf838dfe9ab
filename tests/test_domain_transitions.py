"""What each action does to a ticket: domain.transitions driven the way the workflow drives it."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import lifecycle, transitions
from domain.actions import (
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
from domain.models import SYSTEM_ACTOR, Deadline, RoutingDecision, TicketSnapshot, initial_snapshot
from domain.states import Action, CancelKind, DeadlineStage, FindingOutcome, Severity, TicketStatus
from domain.transitions import DeadlineRequest
from tests.factories import (
    CGJ,
    CHEN,
    GARBAGE,
    GARBAGE_RULE,
    OTHER,
    WANG,
    ZJJ,
    incident_input,
    ticket_snapshot,
)

S, Stage = TicketStatus, DeadlineStage
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
TO_CGJ = RoutingDecision(
    department="cgj",
    rule_id=GARBAGE_RULE,
    rule_version=2,
    reason=f"rule {GARBAGE_RULE} v2: category {GARBAGE} in anywhere → cgj",
)
NO_RULE = RoutingDecision(
    department=None, rule_id=None, reason=f"no routing rule for category {OTHER}"
)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def tick(self, minutes: int = 30) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


def open_deadlines(ticket: TicketSnapshot, requests: list[DeadlineRequest], now: datetime) -> None:
    """What the workflow does with returned requests, minus the calendar: one day per working day."""
    for req in requests:
        due = req.due_at or now + timedelta(days=req.working_days or 1)
        ticket.deadlines.append(Deadline(stage=req.stage, started_at=now, due_at=due))


def submitted(clock: Clock, category: str = GARBAGE) -> TicketSnapshot:
    ticket = initial_snapshot(
        incident_input(category=category, now=clock.now, ticket_id="T-unit-0001").incident
    )
    transitions.record(ticket, now=clock.now, actor=WANG, action=Action.SUBMIT, to=S.SUBMITTED)
    open_deadlines(ticket, [DeadlineRequest(stage=Stage.DISPATCH)], clock.now)
    return ticket


def routed(clock: Clock, decision: RoutingDecision = TO_CGJ) -> tuple[TicketSnapshot, list]:
    ticket = submitted(clock)
    now = clock.tick()
    requests = transitions.apply_routing(ticket, decision, now=now, actor=SYSTEM_ACTOR)
    open_deadlines(ticket, requests, now)
    return ticket, requests


def act(ticket: TicketSnapshot, request, clock: Clock) -> list[DeadlineRequest]:
    """Validate, apply, open the returned deadlines: one human action as the workflow runs it."""
    now = clock.tick()
    lifecycle.check(request, ticket, now)
    requests = transitions.apply(ticket, request, now=now)
    open_deadlines(ticket, requests, now)
    return requests


def stages(requests: list[DeadlineRequest]) -> list[DeadlineStage]:
    return [r.stage for r in requests]


def deadline_states(ticket: TicketSnapshot) -> list[tuple[DeadlineStage, str]]:
    def state(d: Deadline) -> str:
        return "met" if d.met_at else "voided" if d.voided_at else "open"

    return [(d.stage, state(d)) for d in ticket.deadlines]


def assert_timeline_chained(ticket: TicketSnapshot) -> None:
    events = ticket.events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert ticket.seq == events[-1].seq
    assert events[0].from_status is None and events[0].to_status == S.SUBMITTED
    for before, after in zip(events, events[1:], strict=False):
        assert after.from_status == before.to_status
        assert after.at >= before.at
    assert events[-1].to_status == ticket.status
    assert ticket.updated_at == events[-1].at


def test_happy_path_from_report_to_write_off():
    clock = Clock()
    ticket, requests = routed(clock)
    assert (ticket.status, ticket.department) == (S.DISPATCHED, "cgj")
    assert stages(requests) == [Stage.CLAIM, Stage.VERIFY, Stage.HANDLE]
    assert deadline_states(ticket) == [
        (Stage.DISPATCH, "met"),
        (Stage.CLAIM, "open"),
        (Stage.VERIFY, "open"),
        (Stage.HANDLE, "open"),
    ]

    assert act(ticket, ClaimInput(actor=CGJ), clock) == []
    assert (ticket.status, ticket.claimed_by) == (S.CLAIMED, "zhao")
    assert deadline_states(ticket)[1:] == [
        (Stage.CLAIM, "met"),
        (Stage.VERIFY, "open"),
        (Stage.HANDLE, "open"),
    ]

    assert act(ticket, StartVerificationInput(actor=CGJ), clock) == []
    assert ticket.status == S.VERIFYING

    requests = act(
        ticket, VerifyInput(actor=CGJ, outcome=FindingOutcome.FIXED_ON_SITE, note="cleared"), clock
    )
    assert stages(requests) == [Stage.WRITE_OFF]
    assert ticket.status == S.RESOLVED
    assert ticket.finding.outcome == FindingOutcome.FIXED_ON_SITE
    assert ticket.finding.note == "cleared"
    # a finding that resolves the ticket meets the verify deadline and the handling limit
    assert deadline_states(ticket)[2:] == [
        (Stage.VERIFY, "met"),
        (Stage.HANDLE, "met"),
        (Stage.WRITE_OFF, "open"),
    ]

    assert act(ticket, WriteOffInput(actor=WANG), clock) == []
    assert ticket.status == S.WRITTEN_OFF
    assert ticket.open_deadlines == []
    assert all(state == "met" for _, state in deadline_states(ticket))
    assert [e.action for e in ticket.events] == [
        Action.SUBMIT,
        Action.ROUTE,
        Action.DISPATCH,
        Action.CLAIM,
        Action.START_VERIFICATION,
        Action.VERIFY,
        Action.WRITE_OFF,
    ]
    assert_timeline_chained(ticket)


def test_verify_straight_from_claimed_counts_as_verification():
    clock = Clock()
    ticket, _ = routed(clock)
    act(ticket, ClaimInput(actor=CGJ), clock)
    act(ticket, VerifyInput(actor=CGJ, outcome=FindingOutcome.NOT_FOUND), clock)
    assert ticket.status == S.RESOLVED
    assert ticket.events[-1].from_status == S.CLAIMED
    assert deadline_states(ticket)[:4] == [
        (Stage.DISPATCH, "met"),
        (Stage.CLAIM, "met"),
        (Stage.VERIFY, "met"),
        (Stage.HANDLE, "met"),
    ]


def test_return_then_manual_dispatch_to_another_department():
    clock = Clock()
    ticket, _ = routed(clock)
    act(ticket, ClaimInput(actor=CGJ), clock)
    requests = act(ticket, ReturnInput(actor=CGJ, reason="building site: 住建局"), clock)

    assert stages(requests) == [Stage.DISPATCH]
    assert (ticket.status, ticket.department, ticket.claimed_by) == (S.MANUAL_DISPATCH, None, None)
    assert ticket.return_count == 1
    returned = ticket.events[-1]
    assert returned.reason == "building site: 住建局"
    assert returned.data["returned_by_department"] == "cgj"
    # the claim was met before the return; the verify deadline and the handling limit are no
    # longer the department's
    assert deadline_states(ticket) == [
        (Stage.DISPATCH, "met"),
        (Stage.CLAIM, "met"),
        (Stage.VERIFY, "voided"),
        (Stage.HANDLE, "voided"),
        (Stage.DISPATCH, "open"),
    ]

    requests = act(ticket, DispatchInput(actor=CHEN, department="zjj", note="construction"), clock)
    assert stages(requests) == [Stage.CLAIM, Stage.VERIFY, Stage.HANDLE]
    assert (ticket.status, ticket.department) == (S.DISPATCHED, "zjj")
    assert ticket.events[-1].data == {"department": "zjj"}
    assert ticket.events[-1].reason == "construction"
    assert deadline_states(ticket)[4:] == [
        (Stage.DISPATCH, "met"),
        (Stage.CLAIM, "open"),
        (Stage.VERIFY, "open"),
        (Stage.HANDLE, "open"),
    ]

    act(ticket, ClaimInput(actor=ZJJ), clock)
    assert ticket.claimed_by == "qian"
    assert_timeline_chained(ticket)


def test_rework_after_a_rejected_write_off():
    clock = Clock()
    ticket, _ = routed(clock)
    act(ticket, ClaimInput(actor=CGJ), clock)
    requests = act(
        ticket,
        VerifyInput(
            actor=CGJ,
            outcome=FindingOutcome.NEEDS_RECTIFICATION,
            severity=Severity.YELLOW,
            rectify_working_days=5,
        ),
        clock,
    )
    assert requests == [DeadlineRequest(stage=Stage.RECTIFY, working_days=5)]
    assert (ticket.status, ticket.finding.severity) == (S.RECTIFYING, Severity.YELLOW)
    # from here the finding's deadline governs: the handling limit is voided, not met
    assert deadline_states(ticket)[1:] == [
        (Stage.CLAIM, "met"),
        (Stage.VERIFY, "met"),
        (Stage.HANDLE, "voided"),
        (Stage.RECTIFY, "open"),
    ]

    assert stages(act(ticket, RectifiedInput(actor=CGJ), clock)) == [Stage.WRITE_OFF]
    assert ticket.status == S.RESOLVED

    requests = act(
        ticket, RejectInput(actor=WANG, reason="still piled up", rework_working_days=2), clock
    )
    assert requests == [DeadlineRequest(stage=Stage.RECTIFY, working_days=2)]
    assert (ticket.status, ticket.rework_count) == (S.RECTIFYING, 1)
    assert ticket.events[-1].reason == "still piled up"
    assert deadline_states(ticket)[-3:] == [
        (Stage.RECTIFY, "met"),
        (Stage.WRITE_OFF, "met"),
        (Stage.RECTIFY, "open"),
    ]

    act(ticket, RectifiedInput(actor=CGJ), clock)
    requests = act(ticket, RejectInput(actor=CHEN, reason="again"), clock)
    assert requests == [DeadlineRequest(stage=Stage.RECTIFY)]  # policy default
    assert ticket.rework_count == 2
    act(ticket, RectifiedInput(actor=CGJ), clock)
    act(ticket, WriteOffInput(actor=WANG), clock)
    assert ticket.status == S.WRITTEN_OFF and ticket.open_deadlines == []
    assert_timeline_chained(ticket)


def test_rectification_by_a_given_date_asks_for_that_date():
    clock = Clock()
    ticket, _ = routed(clock)
    act(ticket, ClaimInput(actor=CGJ), clock)
    due = T0 + timedelta(days=10)
    requests = act(
        ticket,
        VerifyInput(
            actor=CGJ,
            outcome=FindingOutcome.NEEDS_RECTIFICATION,
            severity=Severity.RED,
            rectify_due_at=due,
        ),
        clock,
    )
    assert requests == [DeadlineRequest(stage=Stage.RECTIFY, due_at=due)]
    assert ticket.finding.rectify_due_at == due
    assert ticket.events[-1].data["finding"]["severity"] == "red"
    assert ticket.deadlines[-1].due_at == due


@pytest.mark.parametrize(
    "steps", [0, 1, 2, 3], ids=["dispatched", "claimed", "verifying", "rectifying"]
)
def test_cancel_voids_every_open_deadline_and_keeps_met_ones(steps):
    clock = Clock()
    ticket, _ = routed(clock)
    path = [
        ClaimInput(actor=CGJ),
        StartVerificationInput(actor=CGJ),
        VerifyInput(
            actor=CGJ,
            outcome=FindingOutcome.NEEDS_RECTIFICATION,
            severity=Severity.YELLOW,
            rectify_working_days=3,
        ),
    ]
    for request in path[:steps]:
        act(ticket, request, clock)
    closed_before = {id(d): (d.met_at, d.voided_at) for d in ticket.deadlines if not d.is_open}
    assert ticket.open_deadlines

    requests = act(
        ticket,
        CancelInput(
            actor=CHEN, kind=CancelKind.DUPLICATE, reason="same lane", duplicate_of="T-earlier"
        ),
        clock,
    )
    assert requests == []
    assert ticket.status == S.CANCELLED
    assert ticket.cancel_kind == CancelKind.DUPLICATE
    assert ticket.open_deadlines == [] and ticket.current_deadline is None
    for d in ticket.deadlines:
        if id(d) in closed_before:  # met ones stay met; the handling limit voided at verify stays
            assert (d.met_at, d.voided_at) == closed_before[id(d)]
        else:
            assert (d.met_at, d.voided_at) == (None, clock.now)
    if steps == 3:
        assert (Stage.HANDLE, "voided") in deadline_states(ticket)
        assert next(d for d in ticket.deadlines if d.stage == Stage.HANDLE).voided_at < clock.now
    cancel = ticket.events[-1]
    assert (cancel.reason, cancel.data["kind"], cancel.data["duplicate_of"]) == (
        "same lane",
        "duplicate",
        "T-earlier",
    )
    assert_timeline_chained(ticket)


def test_cancel_straight_from_the_manual_dispatch_queue():
    clock = Clock()
    ticket, _ = routed(clock, NO_RULE)
    act(ticket, CancelInput(actor=CHEN, kind=CancelKind.INVALID, reason="prank"), clock)
    assert deadline_states(ticket) == [(Stage.DISPATCH, "voided")]
    assert ticket.cancel_kind == CancelKind.INVALID


def test_routing_to_a_department_dispatches_at_once():
    clock = Clock()
    ticket, requests = routed(clock, TO_CGJ)
    route, dispatch = ticket.events[1:]
    assert (route.action, route.from_status, route.to_status) == (
        Action.ROUTE,
        S.SUBMITTED,
        S.ROUTED,
    )
    assert route.data["rule_id"] == GARBAGE_RULE and route.data["rule_version"] == 2
    assert route.reason == TO_CGJ.reason
    assert (dispatch.action, dispatch.from_status, dispatch.to_status) == (
        Action.DISPATCH,
        S.ROUTED,
        S.DISPATCHED,
    )
    assert dispatch.actor_id == "system"
    assert ticket.routing == TO_CGJ
    assert stages(requests) == [Stage.CLAIM, Stage.VERIFY, Stage.HANDLE]
    assert_timeline_chained(ticket)


def test_routing_without_a_department_queues_for_manual_dispatch():
    clock = Clock()
    ticket, requests = routed(clock, NO_RULE)
    assert requests == []
    assert (ticket.status, ticket.department) == (S.MANUAL_DISPATCH, None)
    assert len(ticket.events) == 2
    assert ticket.events[-1].reason == NO_RULE.reason
    assert ticket.events[-1].data["rule_id"] is None
    assert ticket.routing == NO_RULE
    # the dispatch deadline opened at submission keeps running until a supervisor dispatches
    assert deadline_states(ticket) == [(Stage.DISPATCH, "open")]
    act(ticket, DispatchInput(actor=CHEN, department="cgj"), clock)
    assert deadline_states(ticket)[0] == (Stage.DISPATCH, "met")
    assert_timeline_chained(ticket)


def test_breach_events_keep_the_status_and_the_chain():
    clock = Clock()
    ticket, _ = routed(clock)
    transitions.record(
        ticket,
        now=clock.tick(60 * 24),
        actor=SYSTEM_ACTOR,
        action=Action.DEADLINE_BREACHED,
        to=ticket.status,
    )
    act(ticket, ClaimInput(actor=CGJ), clock)
    breach = ticket.events[-2]
    assert (breach.from_status, breach.to_status) == (S.DISPATCHED, S.DISPATCHED)
    assert_timeline_chained(ticket)


def test_system_actions_have_no_human_transition():
    ticket = submitted(Clock())
    with pytest.raises(ValueError):
        transitions.apply(
            ticket, ClaimInput(actor=CGJ).model_copy(update={"action": Action.ROUTE}), now=T0
        )


def test_pending_requests_lapse_when_the_work_leaves_the_department():
    from domain import holds
    from domain.actions import RequestExtensionInput, RequestParkingInput

    t = ticket_snapshot(status=TicketStatus.CLAIMED, department="cgj")
    t.deadlines.append(
        Deadline(stage=DeadlineStage.VERIFY, started_at=T0, due_at=T0 + timedelta(days=3))
    )
    holds.apply(t, RequestExtensionInput(actor=CGJ, working_days=2, reason="crane"), T0)
    holds.apply(
        t, RequestParkingInput(actor=CGJ, reason="winter", review_at=T0 + timedelta(days=30)), T0
    )
    assert t.extension_request is not None and t.parking_request is not None
    transitions.apply(t, VerifyInput(actor=CGJ, outcome=FindingOutcome.FIXED_ON_SITE), now=T0)
    assert t.status == TicketStatus.RESOLVED
    assert t.extension_request is None and t.parking_request is None
