"""Working-time arithmetic: ChinaWorkingCalendar (holidays, 调休, working hours)."""

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.states import Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- China's working calendar: holidays and make-up working weekends (调休) as data -----------

DEFAULT_WORKING_HOURS: tuple[tuple[time, time], ...] = (
    (time(9), time(12)),
    (time(13, 30), time(17, 30)),
)
_ZERO = timedelta(0)


class CalendarUnknownYear(Exception):
    """The calendar has no complete data for a year it was asked about: it never guesses."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"calendar has no data for {year}; load it with `python -m gridflow_admin calendar "
            f"load-year {year} --holidays ... --workdays ...` or PUT /api/v1/admin/calendar/{year}"
        )


def check_working_hours(periods: Sequence[tuple[time, time]]) -> tuple[tuple[time, time], ...]:
    """Working periods of a day: at least one, naive local times, each start < end, in order."""
    out = tuple((start, end) for start, end in periods)
    if not out:
        raise ValueError("working hours need at least one period")
    for i, (start, end) in enumerate(out):
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("working hours are local times without a timezone")
        if not start < end:
            raise ValueError(f"working period {start}-{end} must end after it starts")
        if i and out[i - 1][1] > start:
            raise ValueError(f"working period {start}-{end} overlaps or precedes the one before")
    return out


class ChinaWorkingCalendar:
    """Working time in one timezone (Asia/Shanghai), from data: official holidays and make-up days.

    `days` holds the published exceptions to the weekday rule (a day missing from it is a working
    day Monday to Friday and a day off at the weekend); listing a day that follows the rule anyway
    (a weekend inside a holiday period) is harmless. A day of a year not in `known_years` raises
    CalendarUnknownYear. Working time is the union of the closed periods `working_hours` on each
    working day. Instants a working unit returns are always inside working time:

    * a start outside working time (evening, lunch, a holiday) first rolls forward to the next
      working instant; the end of a period counts as inside (12:00 stays 12:00);
    * N working hours: the earliest instant at which N working hours have passed, so a deadline
      can land on the end of a period (16:00 + 1.5 h = 17:30 the same day, not 09:00 the next);
    * N working days: the same local time on the Nth working day after the (rolled) start.
    """

    def __init__(
        self,
        *,
        days: Mapping[date, bool],
        known_years: Iterable[int],
        working_hours: Sequence[tuple[time, time]] = DEFAULT_WORKING_HOURS,
        tz: ZoneInfo = SHANGHAI,
        provisional_years: Iterable[int] = (),
    ) -> None:
        self.provisional_years = frozenset(provisional_years)
        self.known_years = frozenset(known_years) | self.provisional_years
        self.days = {d: bool(v) for d, v in days.items() if d.year in self.known_years}
        self.working_hours = check_working_hours(working_hours)
        self.tz = tz

    def provisional_between(self, start: datetime, end: datetime) -> bool:
        """Whether working time from start to end (either order) crosses a provisional year: one
        built from the statutory rules because the official notice is not loaded yet, so a
        deadline dated across it may move when it is."""
        first, last = sorted(
            (self._local_date(_utc(start, "start")), self._local_date(_utc(end, "end")))
        )
        return any(first.year <= y <= last.year for y in self.provisional_years)

    # --- days -------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.known_years:
            raise CalendarUnknownYear(day.year)
        return self.days.get(day, day.weekday() < 5)

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working periods as UTC instants (arithmetic in UTC is DST-safe)."""
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.combine(day, a, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, b, tzinfo=self.tz).astimezone(UTC),
            )
            for a, b in self.working_hours
        ]

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def _roll(self, moment: datetime) -> datetime:
        """The first working instant at or after `moment` (UTC)."""
        day = self._local_date(moment)
        while True:
            for a, b in self._periods(day):
                if moment <= b:
                    return max(moment, a)
            day += timedelta(days=1)

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` if it is working time, else the first working instant after it (UTC): when
        a non-urgent notice may go out (domain/notices.py)."""
        return self._roll(_utc(moment, "moment"))

    # --- arithmetic ---------------------------------------------------------------------------

    def add(self, start: datetime, amount: float, unit: Unit) -> datetime:
        unit = Unit(unit)
        if unit is Unit.WORKING_DAYS:
            return self.add_working_days(start, amount)
        if unit is Unit.WORKING_HOURS:
            return self.add_working_hours(start, amount)
        due = _utc(start, "start") + timedelta(hours=_amount(amount))
        return due.astimezone(start.tzinfo)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """`days` may be a float (a policy's amount) but must be whole."""
        s = _utc(start, "start")
        if _amount(days) != int(days):
            raise ValueError(f"working days must be a whole number (got {days})")
        rolled = self._roll(s).astimezone(self.tz)
        day = rolled.date()
        for _ in range(int(days)):
            day += timedelta(days=1)
            while not self.is_working_day(day):
                day += timedelta(days=1)
        due = datetime.combine(day, rolled.time(), tzinfo=self.tz)
        return due.astimezone(start.tzinfo)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant with `amount` of working time since start (exact, unlike hours
        as a float): what re-dating a deadline keeps (domain/redating.py)."""
        if amount < _ZERO:
            raise ValueError(f"amount must not be negative (got {amount})")
        return self._add_working(_utc(start, "start"), amount).astimezone(start.tzinfo)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        due = self._add_working(_utc(start, "start"), timedelta(hours=_amount(hours)))
        return due.astimezone(start.tzinfo)

    def _add_working(self, start: datetime, amount: timedelta) -> datetime:
        """UTC in, UTC out: the earliest instant with `amount` working time since start."""
        cur = self._roll(start)
        day = self._local_date(cur)
        while True:
            for a, b in self._periods(day):
                if b < cur:
                    continue
                seg = max(a, cur)
                if amount <= b - seg:
                    return seg + amount
                amount -= b - seg
            day += timedelta(days=1)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside [start, end]; zero if end <= start."""
        s, e = _utc(start, "start"), _utc(end, "end")
        total, day = _ZERO, self._local_date(s)
        while s < e and datetime.combine(day, time(0), tzinfo=self.tz) < e:
            for a, b in self._periods(day):
                total += max(_ZERO, min(b, e) - max(a, s))
            day += timedelta(days=1)
        return total

    def fraction_point(
        self, start: datetime, due: datetime, fraction: float, unit: Unit
    ) -> datetime:
        """The earliest instant at which `fraction` of the time from start to due has passed.

        Working time for the working units, natural time for HOURS; never later than due.
        """
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        s, d = _utc(start, "start"), _utc(due, "due")
        if d <= s:
            point = d
        elif Unit(unit) is Unit.HOURS:
            point = s + (d - s) * fraction
        else:
            point = min(self._add_working(s, self.working_time_between(s, d) * fraction), d)
        return point.astimezone(start.tzinfo)

    def shift(
        self, due: datetime, paused_from: datetime, paused_to: datetime, unit: Unit
    ) -> datetime:
        """The due of a deadline parked over [paused_from, paused_to], keeping its remaining time.

        Remaining time is working time for the working units and natural time for HOURS. A pause
        that starts at or after the due (already passed) or has no length leaves the due as is,
        so does a pause without working time for a working unit: a shift is never earlier.
        """
        d, pf, pt = _utc(due, "due"), _utc(paused_from, "paused_from"), _utc(paused_to, "paused_to")
        if pf >= d or pt <= pf:
            new = d
        elif Unit(unit) is Unit.HOURS:
            new = d + (pt - pf)
        elif pt <= d:  # the pause ends before the due: push it by the pause's working time
            paused = self.working_time_between(pf, pt)
            new = self._add_working(d, paused) if paused else d
        else:  # the remaining working time starts when the pause ends
            new = self._add_working(pt, self.working_time_between(pf, d))
        return new.astimezone(due.tzinfo)


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def _amount(amount: float) -> float:
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"amount must be a finite number, not negative (got {amount})")
    return amount
