"""Working-time arithmetic behind one small interface, so a holiday-aware calendar can replace it."""
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class WorkingCalendar(Protocol):
    def is_working_day(self, day: date) -> bool: ...

    def add_working_days(self, start: datetime, days: int) -> datetime: ...


class WeekdayCalendar:
    """Monday to Friday in Asia/Shanghai; no holidays (the holiday calendar comes later).

    A deadline of N working days lands at the same local time N working days later; a start
    outside working days first rolls forward to the start of the next working day, so a
    Saturday report with one working day is due at the end of Monday.
    """

    def __init__(self, tz: ZoneInfo = SHANGHAI) -> None:
        self.tz = tz

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> datetime:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if days < 0:
            raise ValueError("days must not be negative")
        local = start.astimezone(self.tz)
        day, at = local.date(), local.timetz()
        if not self.is_working_day(day):
            while not self.is_working_day(day):
                day += timedelta(days=1)
            at = time(0, 0, tzinfo=self.tz)
        for _ in range(days):
            day += timedelta(days=1)
            while not self.is_working_day(day):
                day += timedelta(days=1)
        return datetime.combine(day, at.replace(tzinfo=None), tzinfo=self.tz).astimezone(
            start.tzinfo
        )
