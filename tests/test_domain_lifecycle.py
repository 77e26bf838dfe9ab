"""Who may do what, when, with which input: domain.lifecycle on plain snapshots, no workflow."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain import lifecycle
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
from domain.models import SYSTEM_ACTOR, Actor
from domain.refusal import Refusal
from domain.states import Action, CancelKind, FindingOutcome, Role, Severity, TicketStatus
from tests.factories import CGJ, CHEN, LI, WANG, ZJJ, ticket_snapshot

NOW = datetime(2025, 3, 7, 8, 0, tzinfo=UTC)
S = TicketStatus
STAFF_WITHOUT_DEPT = Actor(user_id="nobody", role=Role.DEPARTMENT_STAFF)
WORKER_NO_GRIDS = Actor(user_id="new", role=Role.GRID_WORKER)

# One valid request per human action, built for a given actor.
REQUESTS = {
    Action.DISPATCH: lambda a: DispatchInput(actor=a, department="zjj"),
    Action.CLAIM: lambda a: ClaimInput(actor=a),
    Action.RETURN: lambda a: ReturnInput(actor=a, reason="not ours: gas pipe, not a road"),
    Action.START_VERIFICATION: lambda a: StartVerificationInput(actor=a),
    Action.VERIFY: lambda a: VerifyInput(actor=a, outcome=FindingOutcome.NOT_FOUND),
    Action.RECTIFIED: lambda a: RectifiedInput(actor=a),
    Action.WRITE_OFF: lambda a: WriteOffInput(actor=a),
    Action.REJECT: lambda a: RejectInput(actor=a, reason="garbage is still there"),
    Action.CANCEL: lambda a: CancelInput(actor=a, kind=CancelKind.INVALID, reason="test report"),
}

# Written out by hand (not copied from lifecycle.ALLOWED_FROM) so a changed rule fails here.
OPEN = {
    S.SUBMITTED,
    S.DUPLICATE_REVIEW,
    S.ROUTED,
    S.MANUAL_DISPATCH,
    S.DISPATCHED,
    S.CLAIMED,
    S.VERIFYING,
    S.RECTIFYING,
    S.RESOLVED,
}
EXPECTED_FROM = {
    Action.DISPATCH: {S.MANUAL_DISPATCH},
    Action.CLAIM: {S.DISPATCHED},
    Action.RETURN: {S.DISPATCHED, S.CLAIMED, S.VERIFYING},
    Action.START_VERIFICATION: {S.CLAIMED},
    Action.VERIFY: {S.CLAIMED, S.VERIFYING},
    Action.RECTIFIED: {S.RECTIFYING},
    Action.WRITE_OFF: {S.RESOLVED},
    Action.REJECT: {S.RESOLVED},
    Action.CANCEL: OPEN,
}
DEPARTMENT_REFUSED = [ZJJ, STAFF_WITHOUT_DEPT, WANG, CHEN, SYSTEM_ACTOR]
WRITE_OFF_REFUSED = [LI, WORKER_NO_GRIDS, CGJ, SYSTEM_ACTOR]
SUPERVISOR_REFUSED = [WANG, CGJ, SYSTEM_ACTOR]
WHO = {  # action -> (accepted actors, refused actors); the ticket is in WANG's grid, held by cgj
    Action.DISPATCH: ([CHEN], SUPERVISOR_REFUSED),
    Action.CLAIM: ([CGJ], DEPARTMENT_REFUSED),
    Action.RETURN: ([CGJ], DEPARTMENT_REFUSED),
    Action.START_VERIFICATION: ([CGJ], DEPARTMENT_REFUSED),
    Action.VERIFY: ([CGJ], DEPARTMENT_REFUSED),
    Action.RECTIFIED: ([CGJ], DEPARTMENT_REFUSED),
    Action.WRITE_OFF: ([WANG, CHEN], WRITE_OFF_REFUSED),
    Action.REJECT: ([WANG, CHEN], WRITE_OFF_REFUSED),
    Action.CANCEL: ([CHEN], SUPERVISOR_REFUSED),
}


def ticket_for(action: Action, status: TicketStatus | None = None):
    """A ticket in a state where `action` is allowed (or in `status`), assigned to cgj."""
    return ticket_snapshot(status=status or sorted(EXPECTED_FROM[action])[0], department="cgj")


def refusal(request, ticket, now: datetime = NOW) -> Refusal:
    with pytest.raises(Refusal) as caught:
        lifecycle.check(request, ticket, now)
    return caught.value


# Extensions and parking have their own table in tests/test_domain_holds.py.
HOLDS = {
    Action.REQUEST_EXTENSION,
    Action.APPROVE_EXTENSION,
    Action.REFUSE_EXTENSION,
    Action.REQUEST_PARKING,
    Action.APPROVE_PARKING,
    Action.REFUSE_PARKING,
    Action.UNPARK,
}


def test_every_human_action_is_covered():
    # Merging duplicates is covered in tests/test_domain_duplicates.py, 催办 in
    # tests/test_domain_supervision.py, re-dating in tests/test_domain_redating.py.
    covered = {Action.MERGE, Action.KEEP_SEPARATE, Action.URGE, Action.REDATE}
    assert set(REQUESTS) | HOLDS | covered == set(lifecycle.ALLOWED_FROM)
    assert set(REQUESTS) == set(WHO)


# --- who -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, actor",
    [(a, who) for a, (ok, _) in WHO.items() for who in ok],
    ids=lambda v: getattr(v, "user_id", v),
)
def test_the_right_actor_is_accepted(action, actor):
    lifecycle.check(REQUESTS[action](actor), ticket_for(action), NOW)


@pytest.mark.parametrize(
    "action, actor",
    [(a, who) for a, (_, bad) in WHO.items() for who in bad],
    ids=lambda v: getattr(v, "user_id", v),
)
def test_every_wrong_actor_is_forbidden(action, actor):
    assert refusal(REQUESTS[action](actor), ticket_for(action)).kind == "forbidden"


def test_department_action_on_an_unassigned_ticket_is_forbidden():
    ticket = ticket_snapshot(status="dispatched", department=None)
    assert refusal(ClaimInput(actor=CGJ), ticket).kind == "forbidden"


@pytest.mark.parametrize(
    "action", [Action.SUBMIT, Action.ROUTE, Action.ARCHIVE, Action.DEADLINE_BREACHED]
)
def test_system_actions_cannot_be_taken_by_anyone(action):
    for actor in (CHEN, CGJ, WANG, SYSTEM_ACTOR):
        with pytest.raises(Refusal) as caught:
            lifecycle.check_actor(action, ticket_snapshot(), actor)
        assert caught.value.kind == "forbidden"


# --- when ------------------------------------------------------------------------------------

MATRIX = [(a, s) for a in REQUESTS for s in TicketStatus]


@pytest.mark.parametrize("action, status", [m for m in MATRIX if m[1] in EXPECTED_FROM[m[0]]])
def test_action_is_accepted_in_its_states(action, status):
    actor = WHO[action][0][0]
    lifecycle.check(REQUESTS[action](actor), ticket_for(action, status), NOW)


@pytest.mark.parametrize(
    "action, status", [m for m in MATRIX if m[1] not in EXPECTED_FROM[m[0]] and m[1] != S.SUBMITTED]
)
def test_action_in_a_wrong_state_is_a_conflict_naming_that_state(action, status):
    actor = WHO[action][0][0]
    refused = refusal(REQUESTS[action](actor), ticket_for(action, status))
    assert refused.kind == "conflict"
    assert f"'{status.value}'" in refused.message
    assert refused.details["state"] == status.value
    assert set(refused.details["allowed_states"]) == {s.value for s in EXPECTED_FROM[action]}


@pytest.mark.parametrize("action", [a for a in REQUESTS if S.SUBMITTED not in EXPECTED_FROM[a]])
def test_an_action_before_routing_finished_is_told_to_retry_not_forbidden(action):
    """Just after the 201 no department is known: whichever department's staff (or the right
    actor) acts, the answer is "still being routed, retry in a second", never "not yours"."""
    unrouted = ticket_snapshot(status="submitted", department=None)
    others = [ZJJ] if action in lifecycle.DEPARTMENT_ACTIONS else []
    for actor in [*WHO[action][0], *others]:
        refused = refusal(REQUESTS[action](actor), unrouted)
        assert refused.kind == "not_routed_yet", (action, actor.user_id)
        assert "still being routed" in refused.message
        assert refused.details == {"state": "submitted", "retry_after_s": 1}
    assert refusal(ClaimInput(actor=WANG), unrouted).kind == "forbidden"  # never staff's to take


def test_a_department_action_during_duplicate_review_is_a_conflict_not_forbidden():
    review = ticket_snapshot(status="duplicate_review", department=None)
    refused = refusal(ClaimInput(actor=ZJJ), review)
    assert refused.kind == "conflict" and refused.details["state"] == "duplicate_review"


# --- what ------------------------------------------------------------------------------------


def verify(**kw) -> VerifyInput:
    return VerifyInput(actor=CGJ, **({"outcome": FindingOutcome.NEEDS_RECTIFICATION} | kw))


YELLOW = Severity.YELLOW
INVALID_INPUTS = {
    "note over 2000 chars": (ClaimInput(actor=CGJ, note="x" * 2001), "note"),
    "reason over 2000 chars": (ReturnInput(actor=CGJ, reason="x" * 2001), "reason"),
    "empty return reason": (ReturnInput(actor=CGJ, reason=""), "reason"),
    "blank return reason": (ReturnInput(actor=CGJ, reason="  \n\t"), "reason"),
    "empty reject reason": (RejectInput(actor=WANG, reason=" "), "reason"),
    "empty cancel reason": (CancelInput(actor=CHEN, kind=CancelKind.INVALID, reason=""), "reason"),
    "duplicate of itself": (
        CancelInput(
            actor=CHEN, kind=CancelKind.DUPLICATE, reason="dup", duplicate_of="T-unit-0001"
        ),
        "duplicate_of",
    ),
    "finding without severity": (verify(rectify_working_days=3), "severity"),
    "finding without deadline": (verify(severity=YELLOW), "rectify_due_at"),
    "finding with two deadlines": (
        verify(severity=YELLOW, rectify_working_days=3, rectify_due_at=NOW + timedelta(days=3)),
        "rectify_due_at",
    ),
    "due date in the past": (
        verify(severity=Severity.RED, rectify_due_at=NOW - timedelta(hours=1)),
        "rectify_due_at",
    ),
    "due date right now": (verify(severity=YELLOW, rectify_due_at=NOW), "rectify_due_at"),
    "due date without timezone": (
        verify(severity=YELLOW, rectify_due_at=datetime(2025, 3, 20, 18, 0)),
        "rectify_due_at",
    ),
    "severity on a not-found": (
        VerifyInput(actor=CGJ, outcome=FindingOutcome.NOT_FOUND, severity=YELLOW),
        "outcome",
    ),
    "deadline on a fixed-on-site": (
        VerifyInput(actor=CGJ, outcome=FindingOutcome.FIXED_ON_SITE, rectify_working_days=2),
        "outcome",
    ),
}


@pytest.mark.parametrize("request_, field", INVALID_INPUTS.values(), ids=INVALID_INPUTS.keys())
def test_bad_input_is_invalid_and_names_the_field(request_, field):
    refused = refusal(request_, ticket_for(request_.action))
    assert refused.kind == "invalid"
    assert refused.details["field"] == field


VALID_INPUTS = {
    "note of exactly 2000 chars": ClaimInput(actor=CGJ, note="x" * 2000),
    "reason of exactly 2000 chars": RejectInput(actor=WANG, reason="y" * 2000),
    "duplicate of another ticket": CancelInput(
        actor=CHEN, kind=CancelKind.DUPLICATE, reason="dup", duplicate_of="T-other"
    ),
    "yellow in working days": verify(severity=YELLOW, rectify_working_days=5),
    "red by a future date": verify(severity=Severity.RED, rectify_due_at=NOW + timedelta(days=1)),
    "fixed on site, nothing else": VerifyInput(actor=CGJ, outcome=FindingOutcome.FIXED_ON_SITE),
}


@pytest.mark.parametrize("request_", VALID_INPUTS.values(), ids=VALID_INPUTS.keys())
def test_good_input_is_accepted(request_):
    lifecycle.check(request_, ticket_for(request_.action), NOW)


@pytest.mark.parametrize("days", [0, -1, 251])
def test_working_days_out_of_range_never_reach_the_rules(days):
    with pytest.raises(ValidationError):
        verify(severity=YELLOW, rectify_working_days=days)
    with pytest.raises(ValidationError):
        RejectInput(actor=WANG, reason="again", rework_working_days=days)


# --- order: who, then when, then what --------------------------------------------------------


def test_wrong_actor_is_heard_before_wrong_state_and_bad_input():
    bad = ReturnInput(actor=ZJJ, reason="")  # wrong department, empty reason
    assert refusal(bad, ticket_snapshot(status="resolved")).kind == "forbidden"


def test_wrong_state_is_heard_before_bad_input():
    bad = ReturnInput(actor=CGJ, reason="")
    refused = refusal(bad, ticket_snapshot(status="resolved"))
    assert (refused.kind, refused.details["state"]) == ("conflict", "resolved")


def test_bad_input_is_heard_last():
    bad = ReturnInput(actor=CGJ, reason="")
    assert refusal(bad, ticket_snapshot(status="claimed")).kind == "invalid"


def test_a_returned_ticket_cannot_be_claimed_by_its_old_department():
    # After a return the ticket has no department: the old department is refused as "who".
    returned = ticket_snapshot(status="manual_dispatch", department=None)
    assert refusal(ClaimInput(actor=CGJ), returned).kind == "forbidden"
