"""Request bodies and public views of 督办单 (supervision orders): docs/supervision.md."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.paging import Page, Paging
from api.schemas import Body, Code, Instruction, Note, Reason
from domain import supervision
from domain.supervision import OrderEvent, OrderState, OrderStatus


class OrderCreate(Body):
    tickets: list[Code] = Field(
        min_length=1,
        max_length=supervision.MAX_TICKETS,
        description="the tickets the order is about: all in one department, each in your area",
        examples=[["GF-3F2A9C41B07E"]],
    )
    instruction: Instruction = Field(
        description="what the department must do and report on",
        examples=["限三日内清运完毕并回复 clear it within three days and report back"],
    )
    reply_working_days: int = Field(
        default=supervision.REPLY_WORKING_DAYS,
        strict=True,
        ge=supervision.MIN_REPLY_WORKING_DAYS,
        le=supervision.MAX_REPLY_WORKING_DAYS,
        description="the reply deadline: this many working days from now",
    )


class AnswerBody(Body):
    done: Reason = Field(description="what the department has done")
    finish_by: date = Field(description="the day the work will be finished (not in the past)")


class CloseBody(Body):
    note: Note | None = None


class OrderSummary(BaseModel):
    order_id: str
    status: OrderStatus
    department: str
    place: str = Field(description="the smallest area holding every ticket of the order")
    tickets: list[str]
    opened_by: str
    opened_at: datetime
    reply_due_at: datetime | None
    escalation_level: int = Field(description="0 none, 2 community, 3 street, 4 district")
    answered_at: datetime | None
    promised_finish: date | None
    closed_at: datetime | None

    @classmethod
    def of(cls, s: OrderState) -> dict[str, Any]:
        return {
            **s.model_dump(include=set(cls.model_fields) - {"tickets", "place"}),
            "tickets": [t.ticket_id for t in s.tickets],
            "place": s.place,
        }


class OrderPublic(OrderSummary):
    instruction: str
    reply_working_days: int
    calendar_error: str | None = Field(
        description="the calendar cannot date the reply deadline yet (a year it lacks): retried"
    )
    breached_at: datetime | None
    escalates_at: datetime | None = Field(description="the next climb of an unanswered order")
    answer: str | None
    answered_by: str | None
    closed_by: str | None
    close_note: str | None
    timeline: list[OrderEvent]

    @classmethod
    def of_state(cls, s: OrderState) -> "OrderPublic":
        climb = s.next_climb
        return cls(
            **OrderSummary.of(s),
            **s.model_dump(
                include={
                    "instruction",
                    "reply_working_days",
                    "calendar_error",
                    "breached_at",
                    "answer",
                    "answered_by",
                    "closed_by",
                    "close_note",
                }
            ),
            escalates_at=climb[0] if climb else None,
            timeline=s.events,
        )


class OrderPage(Page[OrderSummary]):
    """A page of 督办单, newest first."""

    @classmethod
    def of_states(cls, states: list[OrderState], total: int, paging: Paging) -> "OrderPage":
        return cls.of([OrderSummary(**OrderSummary.of(s)) for s in states], total, paging)
