"""督办单 (supervision order): a supervisor orders a department to answer for one or more tickets
by a reply deadline; unanswered, it breaches and climbs the ladder. Pure: the workflow
(workflows/supervision.py) validates and changes the order here, activities date and publish.

An order's place is the smallest area holding all its tickets' grids (a grid, a community, a
street or the district); its ladder climbs from the community holding that place (or the place
itself, when it is a street or the district) to the district, as tickets' escalation does.
"""

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.areas import COMMUNITY_DIGITS, DISTRICT_DIGITS, STREET_DIGITS
from domain.models import Actor
from domain.notices import EventKind, NoticeEvent, event_id
from domain.refusal import Refusal
from domain.states import EscalationLevel, Role, Unit

REPLY_WORKING_DAYS = 2  # the reply deadline when the supervisor names none
MIN_REPLY_WORKING_DAYS, MAX_REPLY_WORKING_DAYS = 1, 10
# Unanswered after its deadline, an order climbs one level each working day.
CLIMB_EVERY, CLIMB_UNIT = 1.0, Unit.WORKING_DAYS
MAX_TICKETS = 20
MAX_ANSWER = 2000

PLAN_ORDER = "plan_order"
PROJECT_ORDER = "project_order"
NOTIFY_ORDER = "notify_order"


# 督 办: DB- and 12 random hex digits, drawn by the API; nothing of the opener or the tickets.
ORDER_ID = re.compile(r"DB-[0-9A-F]{12}")


def is_order_id(value: str) -> bool:
    return ORDER_ID.fullmatch(value) is not None


def workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


class OrderStatus(StrEnum):
    OPEN = "open"  # waiting for the department's answer
    BREACHED = "breached"  # its reply deadline passed unanswered: climbing the ladder
    ANSWERED = "answered"  # the department said what was done and by when it will be finished
    CLOSED = "closed"  # a supervisor accepted the answer, or withdrew the order


WAITING = frozenset({OrderStatus.OPEN, OrderStatus.BREACHED})  # the department owes an answer
LEVELS = {
    COMMUNITY_DIGITS: EscalationLevel.COMMUNITY,
    STREET_DIGITS: EscalationLevel.STREET,
    DISTRICT_DIGITS: EscalationLevel.DISTRICT,
}


class OrderTicket(BaseModel):
    ticket_id: str
    grid: str


class OrderEvent(BaseModel):
    seq: int
    at: datetime
    kind: str  # opened, planned, calendar_alert, breached, escalated, answered, closed
    actor_id: str
    note: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class OpenOrder(BaseModel):
    """What the API starts an order's workflow with: checked already (the tickets exist, lie in
    the opener's area and are all in `department`)."""

    order_id: str
    opened_by: str
    opened_at: datetime
    tickets: list[OrderTicket]
    department: str
    instruction: str
    reply_working_days: int = REPLY_WORKING_DAYS
    climb_every: float = CLIMB_EVERY
    climb_unit: Unit = CLIMB_UNIT


class OrderPlan(BaseModel):
    """The order's dates on the working calendar: its reply deadline, then each climb."""

    reply_due_at: datetime | None = None
    climbs_at: list[datetime] = Field(default_factory=list)
    error: str | None = None  # the calendar cannot date it (a year it lacks): retried hourly


class PlanOrderInput(BaseModel):
    order_id: str
    start: datetime
    reply_working_days: int
    climb_every: float
    climb_unit: Unit
    climbs: int


class OrderState(BaseModel):
    order_id: str
    status: OrderStatus = OrderStatus.OPEN
    opened_by: str
    opened_at: datetime
    tickets: list[OrderTicket]
    department: str
    instruction: str
    reply_working_days: int
    climb_every: float = CLIMB_EVERY
    climb_unit: Unit = CLIMB_UNIT
    reply_due_at: datetime | None = None
    climbs_at: list[datetime] = Field(default_factory=list)
    calendar_error: str | None = None
    breached_at: datetime | None = None
    escalation_level: int = 0  # EscalationLevel: 0 none, 2 community, 3 street, 4 district
    answer: str | None = None
    promised_finish: date | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    close_note: str | None = None
    events: list[OrderEvent] = Field(default_factory=list)
    seq: int = 0
    updated_at: datetime

    @property
    def place(self) -> str:
        return place_of([t.grid for t in self.tickets])

    @property
    def ladder(self) -> list[tuple[EscalationLevel, str]]:
        return ladder_of(self.place)

    @property
    def next_climb(self) -> tuple[datetime, EscalationLevel, str] | None:
        """When the next climb is due, to which level and area; None when none is left."""
        done = sum(1 for level, _ in self.ladder if level <= self.escalation_level)
        if self.status != OrderStatus.BREACHED or done >= len(self.climbs_at):
            return None
        level, area = self.ladder[done]
        return self.climbs_at[done], level, area


class AnswerInput(BaseModel):
    actor: Actor
    done: str  # what was done
    finish_by: date  # when it will be finished (the department's promise)


class CloseInput(BaseModel):
    actor: Actor
    note: str | None = None


def place_of(grids: list[str]) -> str:
    """The smallest unit holding every grid: the grid, its community, street or district."""
    first = grids[0]
    for digits in (len(first), COMMUNITY_DIGITS, STREET_DIGITS):
        if all(g[:digits] == first[:digits] for g in grids):
            return first[:digits]
    return first[:DISTRICT_DIGITS]


def ladder_of(place: str) -> list[tuple[EscalationLevel, str]]:
    """(level, area code) from the lowest level holding the place up to the district."""
    return [(level, place[:digits]) for digits, level in LEVELS.items() if digits <= len(place)]


def opened(order: OpenOrder) -> OrderState:
    state = OrderState(
        **order.model_dump(exclude={"opened_at"}),
        opened_at=order.opened_at,
        updated_at=order.opened_at,
    )
    _log(
        state,
        order.opened_at,
        "opened",
        order.opened_by,
        order.instruction,
        tickets=[t.ticket_id for t in order.tickets],
        department=order.department,
        reply_working_days=order.reply_working_days,
    )
    return state


def _log(
    s: OrderState, at: datetime, kind: str, actor_id: str, note: str | None, **data: Any
) -> None:
    s.seq += 1
    s.events.append(
        OrderEvent(seq=s.seq, at=at, kind=kind, actor_id=actor_id, note=note, data=data)
    )
    s.updated_at = at


def planned(s: OrderState, plan: OrderPlan, now: datetime) -> None:
    if plan.error is not None or plan.reply_due_at is None:
        if s.calendar_error is None:  # said once, retried quietly
            _log(s, now, "calendar_alert", "system", plan.error)
        s.calendar_error = plan.error or "the calendar could not date the order"
        return
    s.reply_due_at, s.climbs_at, s.calendar_error = plan.reply_due_at, plan.climbs_at, None
    _log(s, now, "planned", "system", None, reply_due_at=plan.reply_due_at.isoformat())


def breach(s: OrderState, now: datetime) -> None:
    s.status, s.breached_at = OrderStatus.BREACHED, now
    assert s.reply_due_at is not None
    _log(s, now, "breached", "system", None, reply_due_at=s.reply_due_at.isoformat())


def climb(s: OrderState, level: EscalationLevel, area: str, now: datetime) -> None:
    previous, s.escalation_level = s.escalation_level, int(level)
    _log(
        s,
        now,
        "escalated",
        "system",
        f"unanswered: escalated to the {level.name.lower()} level",
        from_level=previous,
        level=int(level),
        target=area,
    )


def check_answer(s: OrderState, request: AnswerInput, today: date) -> None:
    """Who (the order's department), when (still owed), what (text and a date not past)."""
    actor = request.actor
    if actor.role != Role.DEPARTMENT_STAFF:
        raise Refusal("forbidden", "only the department's staff answer a 督办单")
    if actor.department != s.department:
        raise Refusal("forbidden", f"order {s.order_id} is addressed to another department")
    if s.status not in WAITING:
        raise Refusal(
            "conflict",
            f"order {s.order_id} is {s.status.value}: no answer is owed",
            state=s.status.value,
        )
    if not request.done.strip():
        raise Refusal("invalid", "say what was done", field="done")
    if len(request.done) > MAX_ANSWER:
        raise Refusal("invalid", f"done is longer than {MAX_ANSWER} characters", field="done")
    if request.finish_by < today:
        raise Refusal("invalid", "finish_by is in the past", field="finish_by")


def answer(s: OrderState, request: AnswerInput, now: datetime) -> None:
    s.status = OrderStatus.ANSWERED
    s.answer, s.promised_finish = request.done.strip(), request.finish_by
    s.answered_by, s.answered_at = request.actor.user_id, now
    _log(s, now, "answered", request.actor.user_id, s.answer, finish_by=str(request.finish_by))


def check_close(s: OrderState, request: CloseInput) -> None:
    if request.actor.role != Role.SUPERVISOR:
        raise Refusal("forbidden", "only a supervisor closes a 督办单")
    if s.status == OrderStatus.CLOSED:
        raise Refusal("conflict", f"order {s.order_id} is closed already", state=s.status.value)
    if request.note is not None and len(request.note) > MAX_ANSWER:
        raise Refusal("invalid", f"note is longer than {MAX_ANSWER} characters", field="note")


def close(s: OrderState, request: CloseInput, now: datetime) -> None:
    s.status = OrderStatus.CLOSED
    s.closed_by, s.closed_at, s.close_note = request.actor.user_id, now, request.note
    _log(s, now, "closed", request.actor.user_id, request.note, answered=s.answered_at is not None)


def notice(
    s: OrderState, kind: EventKind, target: str, now: datetime, level: int | None = None
) -> NoticeEvent:
    """One event of the order's: the same id however often it is published (its kind and the
    order's event it belongs to)."""
    ids = [t.ticket_id for t in s.tickets]
    return NoticeEvent(
        event_id=event_id("order", s.order_id, kind.value, s.seq),
        kind=kind,
        target=target,
        department=s.department,
        grid=s.place,
        level=level,
        due_at=s.reply_due_at,
        data={
            "order_id": s.order_id,
            "tickets": ids,
            "message": s.instruction,
            "summary": [f"督办单 {s.order_id} · 工单 {'、'.join(ids)}"],
        },
        created_at=now,
    )
