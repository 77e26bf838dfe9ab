"""The `report` table: one row per compiled report, its content whole as JSON."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Report(SQLModel, table=True):
    """Written by the compile_report activity; compiling the same report again replaces the row
    (its figures as of the new compile time)."""

    __tablename__ = "report"
    report_id: str = Field(primary_key=True)  # daily-2026-12-07, weekly-2026-W49, monthly-2026-11
    kind: str = Field(index=True)
    period_start: date = Field(index=True)
    period_end: date  # exclusive: the day after the last
    title: str
    compiled_at: datetime
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
