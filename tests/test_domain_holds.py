"""Extensions and parking on plain snapshots: who, when, what (domain.lifecycle) and the changes."""

from datetime import UTC, datetime, timedelta
from typing import TypedDict

import pytest
from pydantic import ValidationError

from domain import alarms, holds, lifecycle
from domain.actions import (
    ActionInput,
    ExtensionDecisionInput,
    ParkingDecisionInput,
    RequestExtensionInput,
    RequestParkingInput,
    UnparkInput,
)
from domain.models import (
    SYSTEM_ACTOR,
    Actor,
    Deadline,
    DeadlineWarning,
    ExtensionRequest,
    Parking,
    ParkingRequest,
    TicketSnapshot,
)
from domain.refusal import Refusal
from domain.states import Action, DeadlineStage, Role, TicketStatus
from tests.factories import CGJ, CHEN, WANG, ZJJ, ticket_snapshot
from tests.test_domain_lifecycle import REQUESTS as OTHER_REQUESTS
from tests.test_domain_lifecycle import WHO as OTHER_WHO

NOW = datetime(2025, 3, 7, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
S, Stage = TicketStatus, DeadlineStage
REVIEW = NOW + 30 * DAY
STAFF_WITHOUT_DEPT = Actor(user_id="nobody", role=Role.DEPARTMENT_STAFF)

REQUESTS = {
    Action.REQUEST_EXTENSION: lambda a: RequestExtensionInput(
        actor=a, working_days=3, reason="需要吊车 needs a crane"
    ),
    Action.APPROVE_EXTENSION: lambda a: ExtensionDecisionInput(
        actor=a, action=Action.APPROVE_EXTENSION
    ),
    Action.REFUSE_EXTENSION: lambda a: ExtensionDecisionInput(
        actor=a, action=Action.REFUSE_EXTENSION, reason="do it now"
    ),
    Action.REQUEST_PARKING: lambda a: RequestParkingInput(
        actor=a, reason="冬季 frozen ground", review_at=REVIEW
    ),
    Action.APPROVE_PARKING: lambda a: ParkingDecisionInput(actor=a, action=Action.APPROVE_PARKING),
    Action.REFUSE_PARKING: lambda a: ParkingDecisionInput(
        actor=a, action=Action.REFUSE_PARKING, reason="not a reason to wait"
    ),
    Action.UNPARK: lambda a: UnparkInput(actor=a),
}
# Written out by hand (not copied from lifecycle.ALLOWED_FROM) so a changed rule fails here.
DEPT = {S.DISPATCHED, S.CLAIMED, S.VERIFYING, S.RECTIFYING}
OPEN = DEPT | {S.SUBMITTED, S.DUPLICATE_REVIEW, S.ROUTED, S.MANUAL_DISPATCH, S.RESOLVED}
EXPECTED_FROM = {a: DEPT for a in REQUESTS} | {Action.UNPARK: OPEN}
DEPARTMENT_ONLY = ([CGJ], [ZJJ, STAFF_WITHOUT_DEPT, WANG, CHEN, SYSTEM_ACTOR])
SUPERVISOR_ONLY = ([CHEN], [CGJ, WANG, SYSTEM_ACTOR])
WHO = {a: SUPERVISOR_ONLY for a in REQUESTS} | {
    Action.REQUEST_EXTENSION: DEPARTMENT_ONLY,
    Action.REQUEST_PARKING: DEPARTMENT_ONLY,
}


def held(
    status: str = "claimed",
    *,
    extension: bool = False,
    parking_request: bool = False,
    parked: bool = False,
    verify_due: datetime = NOW + 2 * DAY,
    extended: int = 0,
) -> TicketSnapshot:
    """A ticket held by cgj: verify due in 2 days (warned at half, 80%), handling limit in 9."""
    t = ticket_snapshot(status=status, department="cgj", now=NOW - DAY)
    start = NOW - DAY
    t.deadlines = [
        Deadline(
            stage=Stage.CLAIM, started_at=start, due_at=NOW, met_at=start + timedelta(hours=1)
        ),
        Deadline(
            stage=Stage.VERIFY,
            started_at=start,
            due_at=verify_due,
            amount=3,
            extended_working_days=extended,
            warnings=[
                DeadlineWarning(fraction=f, at=start + (verify_due - start) * f) for f in (0.5, 0.8)
            ],
        ),
        Deadline(stage=Stage.HANDLE, started_at=start, due_at=NOW + 9 * DAY, amount=10),
    ]
    if extension:
        t.extension_request = ExtensionRequest(
            stage=Stage.VERIFY,
            working_days=3,
            reason="crane",
            requested_by="zhao",
            requested_at=NOW - DAY / 2,
        )
    if parking_request:
        t.parking_request = ParkingRequest(
            reason="冬季 frozen ground",
            review_at=REVIEW,
            requested_by="zhao",
            requested_at=NOW - DAY / 2,
        )
    if parked:
        t.parking = Parking(
            parked_at=NOW - DAY / 2, review_at=REVIEW, reason="frozen ground", approved_by="chen"
        )
    return t


class Waiting(TypedDict, total=False):
    extension: bool
    parking_request: bool
    parked: bool


NEEDS: dict[Action, Waiting] = {  # what must be waiting for the action to make sense
    Action.APPROVE_EXTENSION: {"extension": True},
    Action.REFUSE_EXTENSION: {"extension": True},
    Action.APPROVE_PARKING: {"parking_request": True},
    Action.REFUSE_PARKING: {"parking_request": True},
    Action.UNPARK: {"parked": True},
}


def ticket_for(action: Action, status: TicketStatus = S.CLAIMED) -> TicketSnapshot:
    return held(status, **NEEDS.get(action, Waiting()))


def refusal(request: ActionInput, ticket: TicketSnapshot, now: datetime = NOW) -> Refusal:
    with pytest.raises(Refusal) as caught:
        lifecycle.check(request, ticket, now)
    return caught.value


# --- who, when --------------------------------------------------------------------------------


def test_the_table_covers_every_hold_action():
    duplicates = {Action.MERGE, Action.KEEP_SEPARATE}  # tests/test_domain_duplicates.py
    urge = {Action.URGE}  # tests/test_domain_supervision.py
    redate = {Action.REDATE}  # tests/test_domain_redating.py
    assert set(REQUESTS) | set(OTHER_REQUESTS) | duplicates | urge | redate == set(
        lifecycle.ALLOWED_FROM
    )


@pytest.mark.parametrize(
    "action, actor",
    [(a, who) for a, (ok, _) in WHO.items() for who in ok],
    ids=lambda v: getattr(v, "user_id", v),
)
def test_the_right_actor_is_accepted(action, actor):
    lifecycle.check(REQUESTS[action](actor), ticket_for(action), NOW)


@pytest.mark.parametrize(
    "action, actor",
    [(a, b) for a, (_, bad) in WHO.items() for b in bad],
    ids=lambda v: getattr(v, "user_id", v),
)
def test_every_wrong_actor_is_forbidden(action, actor):
    assert refusal(REQUESTS[action](actor), ticket_for(action)).kind == "forbidden"


MATRIX = [(a, s) for a in REQUESTS for s in TicketStatus]


@pytest.mark.parametrize("action, status", [m for m in MATRIX if m[1] in EXPECTED_FROM[m[0]]])
def test_action_is_accepted_in_its_states(action, status):
    lifecycle.check(REQUESTS[action](WHO[action][0][0]), ticket_for(action, status), NOW)


@pytest.mark.parametrize(
    "action, status", [m for m in MATRIX if m[1] not in EXPECTED_FROM[m[0]] and m[1] != S.SUBMITTED]
)  # not routed yet: lifecycle
def test_action_in_a_wrong_state_is_a_conflict_naming_that_state(action, status):
    refused = refusal(REQUESTS[action](WHO[action][0][0]), ticket_for(action, status))
    assert refused.kind == "conflict" and f"'{status.value}'" in refused.message
    assert refused.details["state"] == status.value
    assert set(refused.details["allowed_states"]) == {s.value for s in EXPECTED_FROM[action]}


ALL = {a: (REQUESTS[a], WHO[a][0][0], S.CLAIMED) for a in REQUESTS} | {
    a: (OTHER_REQUESTS[a], OTHER_WHO[a][0][0], sorted(lifecycle.ALLOWED_FROM[a])[0])
    for a in OTHER_REQUESTS
}


@pytest.mark.parametrize("action", sorted(ALL))
def test_while_parked_only_unpark_and_cancel_are_allowed(action):
    build, actor, status = ALL[action]
    ticket = held(status, parked=True, extension=True, parking_request=True)
    if action in {Action.UNPARK, Action.CANCEL}:
        lifecycle.check(build(actor), ticket, NOW)
        return
    refused = refusal(build(actor), ticket)
    assert refused.kind == "conflict" and REVIEW.isoformat() in refused.message
    assert refused.details == {"state": status.value, "parked_until": REVIEW.isoformat()}


# --- what -------------------------------------------------------------------------------------


def extend(days: int = 3, reason: str = "crane") -> RequestExtensionInput:
    return RequestExtensionInput(actor=CGJ, working_days=days, reason=reason)


def parking(review_at: datetime, reason: str = "frozen ground") -> RequestParkingInput:
    return RequestParkingInput(actor=CGJ, reason=reason, review_at=review_at)


APPROVE_EXT = REQUESTS[Action.APPROVE_EXTENSION](CHEN)
REFUSED = {  # name: (request, ticket, kind, detail that must be named)
    "blank extension reason": (extend(reason=" "), held(), "invalid", {"field": "reason"}),
    "blank parking reason": (parking(REVIEW, reason=""), held(), "invalid", {"field": "reason"}),
    "extension too late": (
        extend(),
        held(verify_due=NOW - timedelta(minutes=1)),
        "conflict",
        {"stage": "verify"},
    ),
    "extension right at the deadline": (
        extend(),
        held(verify_due=NOW),
        "conflict",
        {"stage": "verify"},
    ),
    "over the cap": (extend(3), held(extended=8), "invalid", {"field": "working_days"}),
    "extension pending twice": (extend(), held(extension=True), "conflict", {"state": "claimed"}),
    "approve without a request": (APPROVE_EXT, held(), "conflict", {"state": "claimed"}),
    "refuse without a request": (REQUESTS[Action.REFUSE_EXTENSION](CHEN), held(), "conflict", {}),
    "parking pending twice": (parking(REVIEW), held(parking_request=True), "conflict", {}),
    "park without a request": (REQUESTS[Action.APPROVE_PARKING](CHEN), held(), "conflict", {}),
    "refuse parking without a request": (
        REQUESTS[Action.REFUSE_PARKING](CHEN),
        held(),
        "conflict",
        {},
    ),
    "review in the past": (parking(NOW - DAY), held(), "invalid", {"field": "review_at"}),
    "review right now": (parking(NOW), held(), "invalid", {"field": "review_at"}),
    "review over a year ahead": (
        parking(NOW + 367 * DAY),
        held(),
        "invalid",
        {"field": "review_at"},
    ),
    "review without timezone": (
        parking(datetime(2025, 4, 1, 9, 0)),
        held(),
        "invalid",
        {"field": "review_at"},
    ),
    "unpark when not parked": (UnparkInput(actor=CHEN), held(), "conflict", {"state": "claimed"}),
}


@pytest.mark.parametrize("request_, ticket, kind, details", REFUSED.values(), ids=REFUSED.keys())
def test_bad_hold_requests_are_refused_and_name_why(request_, ticket, kind, details):
    refused = refusal(request_, ticket)
    assert refused.kind == kind
    assert details.items() <= refused.details.items()


def test_messages_say_too_late_and_name_the_cap_which_counts_every_deadline():
    late = refusal(extend(), held(verify_due=NOW - DAY)).message
    assert "too late" in late and "before the deadline" in late
    over = refusal(extend(3), held(extended=8)).message
    assert "cap is 10" in over and "8 already granted" in over and "11" in over
    t = held(extended=1)
    t.deadlines[2].extended_working_days = 1  # the handling limit was extended too
    t.alarm_policy.max_extension_working_days = 4
    assert "cap is 4 (2 already granted)" in refusal(extend(3), t).message
    lifecycle.check(extend(2), t, NOW)  # exactly at the cap


VALID = {
    "up to the cap": (extend(2), held(extended=8)),
    "a second before the deadline": (extend(), held(verify_due=NOW + timedelta(seconds=1))),
    "review within the year": (parking(NOW + 365 * DAY), held()),
    "review a minute ahead": (parking(NOW + timedelta(minutes=1)), held()),
}


@pytest.mark.parametrize("request_, ticket", VALID.values(), ids=VALID.keys())
def test_good_hold_requests_are_accepted(request_, ticket):
    lifecycle.check(request_, ticket, NOW)


@pytest.mark.parametrize("days", [0, -1, 61])
def test_extension_days_out_of_range_never_reach_the_rules(days):
    with pytest.raises(ValidationError):
        extend(days)


# --- the changes ------------------------------------------------------------------------------


def test_request_then_refuse_an_extension():
    t = held()
    holds.apply(t, RequestExtensionInput(actor=CGJ, working_days=3, reason="crane", note="n"), NOW)
    assert t.extension_request == ExtensionRequest(
        stage=Stage.VERIFY, working_days=3, reason="crane", requested_by="zhao", requested_at=NOW
    )
    holds.apply(t, REQUESTS[Action.REFUSE_EXTENSION](CHEN), NOW + DAY)
    assert t.extension_request is None and t.extension_count == 0
    assert t.deadlines[1].due_at == NOW + 2 * DAY and t.deadlines[1].extended_working_days == 0
    asked, refused = t.events
    assert (asked.action, asked.reason, asked.data, asked.actor_id) == (
        Action.REQUEST_EXTENSION,
        "crane",
        {"note": "n", "stage": "verify", "working_days": 3},
        "zhao",
    )
    assert (refused.action, refused.reason, refused.data, refused.actor_id) == (
        Action.REFUSE_EXTENSION,
        "do it now",
        {"stage": "verify", "working_days": 3},
        "chen",
    )
    assert all(e.from_status == e.to_status == S.CLAIMED for e in t.events)


def test_an_extension_moves_the_soonest_department_deadline():
    t = held()
    t.deadlines[0].met_at = None  # the claim is still open and due first
    holds.apply(t, extend(), NOW - DAY / 2)
    assert t.extension_request.stage == Stage.CLAIM


def test_approval_moves_the_due_date_keeps_fired_warnings_and_clears_the_breach():
    t = held(extension=True)
    verify = t.deadlines[1]
    old_due, half = verify.due_at, verify.warnings[0]
    half.fired_at = half.at
    verify.breached_at = old_due  # it passed while the supervisor was deciding
    new_due = old_due + 3 * DAY
    later = [
        DeadlineWarning(fraction=f, at=verify.started_at + (new_due - verify.started_at) * f)
        for f in (0.5, 0.8)
    ]
    holds.approve_extension(
        t,
        APPROVE_EXT.model_copy(update={"reason": "ok"}),
        new_due=new_due,
        warnings=later,
        now=NOW + 3 * DAY,
    )
    assert (verify.due_at, verify.breached_at, verify.extended_working_days) == (new_due, None, 3)
    assert verify.warnings == [half, later[1]]  # the fired half-way warning is not fired again
    assert t.extension_request is None and t.extension_count == 1 and not t.overdue
    event = t.events[-1]
    assert (event.action, event.reason, event.actor_id) == (Action.APPROVE_EXTENSION, "ok", "chen")
    assert event.data == {
        "stage": "verify",
        "working_days": 3,
        "from_due_at": old_due.isoformat(),
        "due_at": new_due.isoformat(),
    }


def test_approval_of_a_request_whose_deadline_was_met_moves_nothing():
    t = held(extension=True)
    t.deadlines[1].met_at = NOW
    holds.approve_extension(t, APPROVE_EXT, new_due=NOW + 9 * DAY, warnings=[], now=NOW)
    assert t.extension_count == 0 and t.deadlines[1].due_at == NOW + 2 * DAY
    assert t.events[-1].data == {"stage": "verify", "working_days": 3}


def test_park_refuse_and_approve_parking():
    t = held()
    holds.apply(t, parking(REVIEW, reason="汛期 flood season"), NOW)
    assert t.parking_request == ParkingRequest(
        reason="汛期 flood season", review_at=REVIEW, requested_by="zhao", requested_at=NOW
    )
    holds.apply(t, REQUESTS[Action.REFUSE_PARKING](CHEN), NOW)
    assert t.parking_request is None and t.parking is None
    holds.apply(t, parking(REVIEW, reason="汛期 flood season"), NOW)
    t.next_escalation_at = t.next_reminder_at = NOW + DAY
    holds.apply(t, REQUESTS[Action.APPROVE_PARKING](CHEN), NOW + timedelta(hours=1))
    parked_at = NOW + timedelta(hours=1)
    assert t.parking == Parking(
        parked_at=parked_at, review_at=REVIEW, reason="汛期 flood season", approved_by="chen"
    )
    assert t.parking_request is None and t.next_escalation_at is t.next_reminder_at is None
    assert [d.paused_at for d in t.deadlines] == [None, parked_at, parked_at]  # met claim: no
    assert [(e.action, e.reason, e.data) for e in t.events] == [
        (Action.REQUEST_PARKING, "汛期 flood season", {"review_at": REVIEW.isoformat()}),
        (Action.REFUSE_PARKING, "not a reason to wait", {}),
        (Action.REQUEST_PARKING, "汛期 flood season", {"review_at": REVIEW.isoformat()}),
        (Action.APPROVE_PARKING, "汛期 flood season", {"review_at": REVIEW.isoformat()}),
    ]
    assert alarms.pending(t) == [alarms.Alarm(kind="review", at=REVIEW)]


def test_unpark_restarts_the_clocks_with_the_shifted_dates():
    t = held(parked=True)
    for d in t.open_deadlines:
        d.paused_at = t.parking.parked_at
    back = NOW + 10 * DAY
    moved = Deadline(
        stage=Stage.VERIFY,
        started_at=NOW - DAY,
        due_at=back + DAY,
        warnings=[DeadlineWarning(fraction=0.8, at=back + DAY / 2)],
    )
    holds.unpark(t, shifted={Stage.VERIFY: moved}, now=back, actor=CHEN, reason="天晴了")
    verify, handle = t.deadlines[1:]
    assert (verify.due_at, verify.warnings, verify.paused_at) == (back + DAY, moved.warnings, None)
    assert (handle.due_at, handle.paused_at) == (NOW + 9 * DAY, None)
    assert t.parking is None
    event = t.events[-1]
    assert (event.action, event.reason, event.actor_id) == (Action.UNPARK, "天晴了", "chen")
    assert event.data == {
        "parked_at": (NOW - DAY / 2).isoformat(),
        "dues": {"verify": (back + DAY).isoformat()},
    }
    assert {a.kind for a in alarms.pending(t)} == {"warning", "breach"}


def test_an_overdue_ticket_is_chased_again_once_unparked():
    t = held(verify_due=NOW - DAY)
    alarms.fire(t, alarms.Alarm(kind="breach", at=NOW - DAY, stage=Stage.VERIFY), NOW - DAY)
    alarms.fire(t, alarms.Alarm(kind="escalate", at=NOW), NOW)  # grid -> community
    t.parking_request = ParkingRequest(
        reason="frozen", review_at=REVIEW, requested_by="zhao", requested_at=NOW
    )
    holds.park(t, REQUESTS[Action.APPROVE_PARKING](CHEN), NOW)
    holds.unpark(t, shifted={}, now=REVIEW, actor=SYSTEM_ACTOR, reason="review date reached")
    assert t.overdue  # the verification is still late: 催办 and the ladder go on from community
    policy = t.alarm_policy
    assert {(a.kind, a.at) for a in alarms.pending(t) if a.kind in ("escalate", "remind")} == {
        ("escalate", REVIEW + policy.escalation_delays[1]),
        ("remind", REVIEW + policy.reminder_interval),
    }
