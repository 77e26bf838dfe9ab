"""督办单 (supervision orders) as the read model keeps them: projected by their workflow's
activity (workflows/supervision.py is the source of truth), listed and read by the API."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class SupervisionOrder(SQLModel, table=True):
    __tablename__ = "supervision_order"
    order_id: str = Field(primary_key=True)
    seq: int
    status: str = Field(index=True)
    department: str = Field(index=True)
    place: str = Field(index=True)  # the smallest area holding every ticket (area scopes match it)
    opened_by: str
    opened_at: datetime = Field(index=True)
    tickets: list[str] = Field(sa_column=Column(JSON, nullable=False))
    instruction: str
    reply_due_at: datetime | None = None
    escalation_level: int = 0
    answer: str | None = None
    promised_finish: date | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    updated_at: datetime
    state: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
