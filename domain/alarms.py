"""What the ticket's clock does: warnings, breaches, escalation climbs, reminders, parking reviews.

`pending` lists the alarms the workflow must sleep towards; `fire` applies the ones that rang.
Alarms that need the calendar (the parking review, re-planning) are carried out by the workflow.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.areas import district_of
from domain.models import SYSTEM_ACTOR, Breach, Deadline, TicketSnapshot
from domain.states import Action, DeadlineStage, EscalationLevel
from domain.transitions import record

Kind = Literal["warning", "breach", "escalate", "remind", "review", "replan"]


class Alarm(BaseModel):
    kind: Kind
    at: datetime
    stage: DeadlineStage | None = None
    fraction: float | None = None


class Notice(BaseModel):
    """Somebody must hear about this ticket: a department, or a level of the ladder."""

    kind: str  # an alarm kind, or: return, recheck, merge, urge
    target: str  # a department code, the grid / community / street / district code, or the centre
    level: EscalationLevel | None = None
    stage: DeadlineStage | None = None
    due_at: datetime | None = None
    # What the message says beyond the above (domain/notices.py NoticeEvent.data: a 催办's
    # "message"); notices recorded before it had none.
    data: dict[str, Any] = Field(default_factory=dict)


def pending(t: TicketSnapshot, *, chase: bool = True) -> list[Alarm]:
    """Every alarm still to ring. `chase=False` is the v1 ticket: breaches only."""
    if t.parking is not None:
        return [Alarm(kind="review", at=t.parking.review_at)]
    alarms: list[Alarm] = []
    for d in t.open_deadlines:
        if d.breached_at is not None:
            continue
        if chase:
            alarms += [
                Alarm(kind="warning", at=w.at, stage=d.stage, fraction=w.fraction)
                for w in d.warnings
                if w.fired_at is None
            ]
        alarms.append(Alarm(kind="breach", at=d.due_at, stage=d.stage))
    if chase and t.overdue:
        if t.next_escalation_at is not None:
            alarms.append(Alarm(kind="escalate", at=t.next_escalation_at))
        if t.next_reminder_at is not None:
            alarms.append(Alarm(kind="remind", at=t.next_reminder_at))
    if chase and t.unplanned and t.next_replan_at is not None:
        alarms.append(Alarm(kind="replan", at=t.next_replan_at))
    return alarms


def next_alarm(t: TicketSnapshot, *, chase: bool = True) -> Alarm | None:
    alarms = pending(t, chase=chase)
    return min(alarms, key=lambda a: a.at) if alarms else None


def level_target(t: TicketSnapshot, level: EscalationLevel) -> str:
    return {
        EscalationLevel.GRID: t.grid,
        EscalationLevel.COMMUNITY: t.community,
        EscalationLevel.STREET: t.street,
        EscalationLevel.DISTRICT: district_of(t.grid),
    }[level]


def owner(t: TicketSnapshot, stage: DeadlineStage | None) -> str:
    """Who answers for a stage: the grid for the write-off check, the centre for dispatch."""
    if stage == DeadlineStage.WRITE_OFF:
        return t.grid
    if stage == DeadlineStage.DISPATCH or t.department is None:
        return "command-centre"
    return t.department


def fire(t: TicketSnapshot, alarm: Alarm, now: datetime, *, chase: bool = True) -> list[Notice]:
    """Apply one alarm that has rung; returns who must be told."""
    match alarm.kind:
        case "warning":
            return _warn(t, alarm, now)
        case "breach":
            return _breach(t, alarm, now, chase=chase)
        case "escalate":
            return _climb(t, now)
        case "remind":
            return _remind(t, now)
    raise ValueError(f"{alarm.kind} alarms are carried out by the workflow")


def _deadline(t: TicketSnapshot, stage: DeadlineStage | None) -> Deadline | None:
    return next((d for d in t.open_deadlines if d.stage == stage), None)


def _warn(t: TicketSnapshot, alarm: Alarm, now: datetime) -> list[Notice]:
    d = _deadline(t, alarm.stage)
    warning = next((w for w in d.warnings if w.fraction == alarm.fraction), None) if d else None
    if d is None or warning is None or warning.fired_at is not None:
        return []
    warning.fired_at = now
    percent = round(warning.fraction * 100)
    record(
        t,
        now=now,
        actor=SYSTEM_ACTOR,
        action=Action.DEADLINE_WARNING,
        reason=f"{percent}% of the {d.stage.value} deadline has passed",
        data={"stage": d.stage.value, "fraction": warning.fraction, "due_at": d.due_at.isoformat()},
    )
    return [Notice(kind="warning", target=owner(t, d.stage), stage=d.stage, due_at=d.due_at)]


def _breach(t: TicketSnapshot, alarm: Alarm, now: datetime, *, chase: bool) -> list[Notice]:
    d = _deadline(t, alarm.stage)
    if d is None or d.breached_at is not None:
        return []
    was_overdue = t.overdue
    d.breached_at = now
    t.breach_log.append(Breach(stage=d.stage, due_at=d.due_at, breached_at=now))
    record(
        t,
        now=now,
        actor=SYSTEM_ACTOR,
        action=Action.DEADLINE_BREACHED,
        reason=f"{d.stage.value} deadline passed",
        data={"stage": d.stage.value, "due_at": d.due_at.isoformat()},
    )
    if not chase:
        return []
    notices = [Notice(kind="breach", target=owner(t, d.stage), stage=d.stage, due_at=d.due_at)]
    if not was_overdue:
        t.next_reminder_at = now + t.alarm_policy.reminder_interval
        if t.escalation_level < EscalationLevel.GRID:
            notices += _raise_to(t, EscalationLevel.GRID, now)
        else:
            _schedule_climb(t, now)
    return notices


def _schedule_climb(t: TicketSnapshot, now: datetime) -> None:
    delays = t.alarm_policy.escalation_delays
    level = t.escalation_level
    t.next_escalation_at = (
        now + delays[level - 1]
        if EscalationLevel.GRID <= level < EscalationLevel.DISTRICT and level - 1 < len(delays)
        else None
    )


def resume(t: TicketSnapshot, now: datetime) -> None:
    """Chase a ticket still overdue once it is back from parking: 催办, and the ladder climbs on."""
    t.next_reminder_at = now + t.alarm_policy.reminder_interval
    _schedule_climb(t, now)


def _raise_to(t: TicketSnapshot, level: EscalationLevel, now: datetime) -> list[Notice]:
    previous = EscalationLevel(t.escalation_level)
    t.escalation_level = level
    record(
        t,
        now=now,
        actor=SYSTEM_ACTOR,
        action=Action.ESCALATE,
        reason=f"overdue: escalated to the {level.name.lower()} level",
        data={
            "from_level": previous.name.lower(),
            "level": level.name.lower(),
            "target": level_target(t, level),
        },
    )
    _schedule_climb(t, now)
    return [Notice(kind="escalate", target=level_target(t, level), level=level)]


def _climb(t: TicketSnapshot, now: datetime) -> list[Notice]:
    t.next_escalation_at = None
    if not t.overdue or t.escalation_level >= EscalationLevel.DISTRICT:
        return []
    return _raise_to(t, EscalationLevel(t.escalation_level + 1), now)


def _remind(t: TicketSnapshot, now: datetime) -> list[Notice]:
    if not t.overdue:
        t.next_reminder_at = None
        return []
    t.reminder_count += 1
    t.next_reminder_at = now + t.alarm_policy.reminder_interval
    late = [d for d in t.open_deadlines if d.breached_at is not None]
    record(
        t,
        now=now,
        actor=SYSTEM_ACTOR,
        action=Action.REMIND,
        reason=f"催办 reminder {t.reminder_count}: still overdue",
        data={"stages": [d.stage.value for d in late], "count": t.reminder_count},
    )
    return [
        Notice(kind="remind", target=owner(t, d.stage), stage=d.stage, due_at=d.due_at)
        for d in late
    ]
