"""催办 and 督办单 on plain values: who may, when, with what; an order's place and ladder."""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import lifecycle, supervision
from domain.actions import UrgeInput
from domain.models import SYSTEM_ACTOR, Actor
from domain.refusal import Refusal
from domain.states import Action, EscalationLevel, Role, TicketStatus
from domain.supervision import (
    AnswerInput,
    CloseInput,
    OpenOrder,
    OrderPlan,
    OrderStatus,
    OrderTicket,
    ladder_of,
    place_of,
)
from domain.urge import urge
from tests.factories import CGJ, CHEN, WANG, ZJJ, ticket_snapshot

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
S = TicketStatus
GRID_A, GRID_B = "33010600100101", "33010600100102"  # one community
GRID_C = "33010600100201"  # another community of the same street
GRID_FAR = "33010600200101"  # another street


def urging(message: str = "今天到场 on site today", actor: Actor = CHEN) -> UrgeInput:
    return UrgeInput(actor=actor, message=message)


def refused(request: UrgeInput, status: S = S.CLAIMED) -> Refusal:
    with pytest.raises(Refusal) as caught:
        lifecycle.check(request, ticket_snapshot(status=status, department="cgj"), NOW)
    return caught.value


# --- 催办 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.DISPATCHED, S.CLAIMED, S.VERIFYING, S.RECTIFYING])
def test_a_supervisor_urges_a_ticket_in_a_department(status: S) -> None:
    lifecycle.check(urging(), ticket_snapshot(status=status, department="cgj"), NOW)


@pytest.mark.parametrize("actor", [CGJ, ZJJ, WANG, SYSTEM_ACTOR], ids=lambda a: a.user_id)
def test_nobody_else_urges(actor: Actor) -> None:
    assert refused(urging(actor=actor)).kind == "forbidden"


@pytest.mark.parametrize(
    "status", [S.SUBMITTED, S.MANUAL_DISPATCH, S.RESOLVED, S.WRITTEN_OFF, S.CANCELLED]
)
def test_only_a_ticket_in_a_department_is_urged(status: S) -> None:
    assert refused(urging(), status).kind in ("conflict", "not_routed_yet")


@pytest.mark.parametrize("message", ["", "  \n ", "催" * 501])
def test_an_urge_says_something_short(message: str) -> None:
    refusal = refused(urging(message))
    assert (refusal.kind, refusal.details["field"]) == ("invalid", "message")


def test_an_urge_is_recorded_counted_apart_and_told_to_the_department() -> None:
    t = ticket_snapshot(status=S.CLAIMED, department="cgj")
    t.reminder_count = 3  # the clock's own
    notice = urge(t, urging("  今天到场  "), NOW)
    event = t.events[-1]
    assert (event.action, event.actor_id, event.reason) == (Action.URGE, "chen", "今天到场")
    assert event.to_status == event.from_status == S.CLAIMED
    assert event.data == {"message": "今天到场", "count": 1}
    assert (t.urge_count, t.reminder_count) == (1, 3)
    assert (notice.kind, notice.target, notice.data) == ("urge", "cgj", {"message": "今天到场"})


# --- 督办单 ------------------------------------------------------------------------------------


def test_an_orders_place_is_the_smallest_area_holding_its_tickets() -> None:
    assert place_of([GRID_A]) == GRID_A
    assert place_of([GRID_A, GRID_B]) == GRID_A[:12]
    assert place_of([GRID_A, GRID_C]) == GRID_A[:9]
    assert place_of([GRID_A, GRID_FAR]) == GRID_A[:6]


def test_the_ladder_climbs_from_the_community_holding_the_place_to_the_district() -> None:
    L = EscalationLevel
    community, street, district = GRID_A[:12], GRID_A[:9], GRID_A[:6]
    expected = [(L.COMMUNITY, community), (L.STREET, street), (L.DISTRICT, district)]
    assert ladder_of(GRID_A) == expected
    assert ladder_of(community) == expected
    assert ladder_of(street) == [(L.STREET, street), (L.DISTRICT, district)]
    assert ladder_of(district) == [(L.DISTRICT, district)]


def order(*grids: str) -> supervision.OrderState:
    return supervision.opened(
        OpenOrder(
            order_id="O-TEST",
            opened_by="chen",
            opened_at=NOW,
            tickets=[OrderTicket(ticket_id=f"GF-{i:012X}", grid=g) for i, g in enumerate(grids)],
            department="cgj",
            instruction="限期整改 fix it",
        )
    )


def test_a_breached_order_climbs_each_level_once_at_its_time() -> None:
    s = order(GRID_A, GRID_C)  # street level and up
    due = NOW + timedelta(days=2)
    climbs = [due + timedelta(days=1), due + timedelta(days=2)]
    supervision.planned(s, OrderPlan(reply_due_at=due, climbs_at=climbs), NOW)
    assert s.next_climb is None  # not breached yet
    supervision.breach(s, due)
    assert s.next_climb == (climbs[0], EscalationLevel.STREET, GRID_A[:9])
    supervision.climb(s, EscalationLevel.STREET, GRID_A[:9], climbs[0])
    assert s.next_climb == (climbs[1], EscalationLevel.DISTRICT, GRID_A[:6])
    supervision.climb(s, EscalationLevel.DISTRICT, GRID_A[:6], climbs[1])
    assert s.next_climb is None
    assert [e.kind for e in s.events] == ["opened", "planned", "breached", "escalated", "escalated"]


def test_a_calendar_gap_is_said_once_and_planned_later() -> None:
    s = order(GRID_A)
    supervision.planned(s, OrderPlan(error="no calendar for 2027"), NOW)
    supervision.planned(s, OrderPlan(error="no calendar for 2027"), NOW + timedelta(hours=1))
    assert s.calendar_error == "no calendar for 2027" and s.reply_due_at is None
    supervision.planned(s, OrderPlan(reply_due_at=NOW + timedelta(days=2)), NOW)
    assert s.calendar_error is None
    assert [e.kind for e in s.events] == ["opened", "calendar_alert", "planned"]


def answering(actor: Actor = CGJ, done: str = "已清运 cleared", finish: date | None = None):
    return AnswerInput(actor=actor, done=done, finish_by=finish or date(2026, 12, 10))


def answer_refusal(request: AnswerInput, s: supervision.OrderState | None = None) -> Refusal:
    with pytest.raises(Refusal) as caught:
        supervision.check_answer(s or order(GRID_A), request, date(2026, 12, 7))
    return caught.value


def test_only_the_orders_department_answers_while_an_answer_is_owed() -> None:
    s = order(GRID_A)
    supervision.check_answer(s, answering(), date(2026, 12, 7))
    for actor in (ZJJ, CHEN, WANG, Actor(user_id="x", role=Role.DEPARTMENT_STAFF)):
        assert answer_refusal(answering(actor), s).kind == "forbidden"
    assert answer_refusal(answering(done=" ")).details == {"field": "done"}
    assert answer_refusal(answering(finish=date(2026, 12, 6))).details == {"field": "finish_by"}
    supervision.answer(s, answering(), NOW)
    assert (s.status, s.answer, s.answered_by) == (OrderStatus.ANSWERED, "已清运 cleared", "zhao")
    assert answer_refusal(answering(), s).kind == "conflict"


def test_a_supervisor_closes_an_order_once() -> None:
    s = order(GRID_A)
    with pytest.raises(Refusal) as caught:
        supervision.check_close(s, CloseInput(actor=CGJ))
    assert caught.value.kind == "forbidden"
    supervision.check_close(s, CloseInput(actor=CHEN))  # withdrawn before an answer
    supervision.close(s, CloseInput(actor=CHEN, note="已落实"), NOW)
    assert (s.status, s.closed_by, s.close_note) == (OrderStatus.CLOSED, "chen", "已落实")
    with pytest.raises(Refusal) as caught:
        supervision.check_close(s, CloseInput(actor=CHEN))
    assert caught.value.kind == "conflict"
