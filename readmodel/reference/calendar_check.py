"""A notice entered by hand, checked against what the libraries know of the year: the statutory
rules (the `holidays` package) always, the published schedule where `chinesecalendar` has it.
Differences are shown to the admin, never refused: a notice may bridge a weekend the rules do
not, and a correction exists to differ."""

from datetime import date
from importlib.metadata import version

from pydantic import BaseModel

from readmodel.reference.calendar_store import CHINA_YEARS, china_schedule, statutory_schedule


class CrossCheck(BaseModel):
    reference: str  # the library and its version
    complete: bool  # it knows the year's make-up workdays too, not only the holidays
    off_not_listed: list[date]  # it has the day off; the notice does not list it
    listed_not_off: list[date]  # the notice lists it off; it does not
    workdays_differ: list[date]  # make-up workdays one of them has (when complete)


def _compare(
    reference: str, known: dict[date, bool], days: dict[date, bool], complete: bool
) -> CrossCheck:
    theirs_off = {d for d, on in known.items() if not on}
    ours_off = {d for d, on in days.items() if not on}
    theirs_on = {d for d, on in known.items() if on}
    ours_on = {d for d, on in days.items() if on}
    return CrossCheck(
        reference=reference,
        complete=complete,
        off_not_listed=sorted(theirs_off - ours_off),
        listed_not_off=sorted(ours_off - theirs_off),
        workdays_differ=sorted(theirs_on ^ ours_on) if complete else [],
    )


def cross_check(year: int, days: dict[date, bool]) -> list[CrossCheck]:
    checks = []
    if year in CHINA_YEARS:
        published = {d: on for d, (on, _) in china_schedule([year]).items()}
        checks.append(
            _compare(f"chinesecalendar {version('chinesecalendar')}", published, days, True)
        )
    rules = statutory_schedule(year)
    checks.append(_compare(f"holidays {version('holidays')}", rules, days, any(rules.values())))
    return checks
