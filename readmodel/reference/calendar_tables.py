"""The working calendar as data: published exceptions to the weekday rule, and the years loaded."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel


class WorkCalendarDay(SQLModel, table=True):
    """A day of a published schedule: a holiday (off) or a make-up workday (调休, on).

    Days not listed follow the rule: Monday to Friday working, weekends off. Weekends inside a
    holiday period are listed too (as published), which changes nothing but reads better.
    """

    __tablename__ = "work_calendar_day"
    day: date = Field(primary_key=True)
    is_workday: bool
    note: str | None = None


class WorkCalendarYear(SQLModel, table=True):
    """A year whose schedule is loaded complete; only these years are known to the calendar."""

    __tablename__ = "work_calendar_year"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    source: str
    loaded_at: datetime
