"""Re-dating running deadlines when the working calendar changes under them: a year's official
holiday notice replacing its provisional dating, or a correction of an official year.

Pure. A deadline keeps the working time it had left at the moment of re-dating, measured on the
calendar it was dated on, and spends it on the new one; so do its warnings not fired yet. What
has happened stays: a met, breached or voided deadline, a fired warning, a due already passed.
A parked deadline is left to its unparking, which dates it on the calendar of that day.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel

from domain.calendar import SHANGHAI, ChinaWorkingCalendar
from domain.models import Deadline, DeadlineWarning
from domain.states import DeadlineStage, Unit


class RedatedDeadline(BaseModel):
    """One running deadline on the new calendar; (stage, started_at) names it on the ticket."""

    stage: DeadlineStage
    started_at: datetime
    old_due_at: datetime
    due_at: datetime
    warnings: list[DeadlineWarning]  # the deadline's warnings, the unfired ones re-dated
    provisional: bool

    @property
    def moved(self) -> timedelta:
        return self.due_at - self.old_due_at


def redate(
    deadline: Deadline, *, old: ChinaWorkingCalendar, new: ChinaWorkingCalendar, now: datetime
) -> RedatedDeadline | None:
    """The deadline on `new`, or None when the calendar has no say in it any more (see above)
    or nothing about it changes (its due, its warnings and whether it is provisional)."""
    d = deadline
    if (
        not d.is_open
        or d.breached_at is not None
        or d.paused_at is not None
        or d.unit is Unit.HOURS
        or d.due_at <= now
    ):
        return None

    def moved(at: datetime) -> datetime:
        return new.add_working_time(now, old.working_time_between(now, at)).astimezone(at.tzinfo)

    due = moved(d.due_at)
    warnings = [
        w if w.fired_at is not None or w.at <= now else w.model_copy(update={"at": moved(w.at)})
        for w in d.warnings
    ]
    provisional = new.provisional_between(d.started_at, due)
    if due == d.due_at and warnings == d.warnings and provisional == d.provisional:
        return None
    return RedatedDeadline(
        stage=d.stage,
        started_at=d.started_at,
        old_due_at=d.due_at,
        due_at=due,
        warnings=warnings,
        provisional=provisional,
    )


def redate_all(
    deadlines: Sequence[Deadline],
    *,
    old: ChinaWorkingCalendar,
    new: ChinaWorkingCalendar,
    now: datetime,
) -> list[RedatedDeadline]:
    """The ticket's deadlines that change, in the ticket's order."""
    return [r for d in deadlines if (r := redate(d, old=old, new=new, now=now)) is not None]


def apply_redating(
    deadlines: Sequence[Deadline], changes: Sequence[RedatedDeadline]
) -> list[tuple[Deadline, RedatedDeadline]]:
    """Carry the changes onto the ticket's deadlines (in place), each only if its deadline is
    still as it was when they were computed (open, unpaused, the same due): the pairs applied."""
    applied = []
    for change in changes:
        for d in deadlines:
            if (
                d.stage == change.stage
                and d.started_at == change.started_at
                and d.is_open
                and d.paused_at is None
                and d.due_at == change.old_due_at
            ):
                d.due_at, d.warnings = change.due_at, list(change.warnings)
                d.provisional = change.provisional
                applied.append((d, change))
                break
    return applied


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def notice_message(change: RedatedDeadline, *, year: int, source: str) -> str:
    """What the owner of a moved deadline reads (Chinese first: the field's language)."""
    return (
        f"按 {year} 年放假安排（{source}）调整时限：原 {_local(change.old_due_at)}，"
        f"现 {_local(change.due_at)}"
    )
