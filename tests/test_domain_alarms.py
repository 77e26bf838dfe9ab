"""The ticket's clock on plain snapshots: domain.alarms pending / next_alarm / fire, no workflow."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import alarms, transitions
from domain.actions import ClaimInput
from domain.alarms import Alarm, Notice
from domain.models import (
    AlarmPolicy,
    Deadline,
    DeadlineWarning,
    Parking,
    TicketSnapshot,
    UnplannedDeadline,
)
from domain.states import Action, DeadlineStage, EscalationLevel, Unit
from tests.factories import CGJ, GRID, ticket_snapshot

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
Stage, Level = DeadlineStage, EscalationLevel
CODE = GRID.code  # 33010600100102
COMMUNITY, STREET, DISTRICT = CODE[:12], CODE[:9], CODE[:6]
# Short, distinct delays so every alarm of the story rings at its own instant.
POLICY = AlarmPolicy(
    escalation_delays=[timedelta(hours=1), timedelta(hours=2), timedelta(hours=4)],
    reminder_interval=timedelta(hours=5),
)


def H(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def deadline(stage: DeadlineStage, hours: float, fractions=(0.5, 0.8)) -> Deadline:
    return Deadline(
        stage=stage,
        started_at=T0,
        due_at=H(hours),
        unit=Unit.HOURS,
        amount=hours,
        warnings=[DeadlineWarning(fraction=f, at=H(hours * f)) for f in fractions],
    )


def ticket(
    *deadlines: Deadline, status: str = "dispatched", department: str | None = "cgj"
) -> TicketSnapshot:
    t = ticket_snapshot(status=status, department=department, now=T0)
    t.deadlines, t.alarm_policy = list(deadlines), POLICY
    return t


def ring(t: TicketSnapshot, until: datetime, *, chase: bool = True) -> list[tuple]:
    """Fire every alarm due by `until`, in order, each at its own instant, as the workflow does."""
    rung = []
    while (alarm := alarms.next_alarm(t, chase=chase)) is not None and alarm.at <= until:
        notices = alarms.fire(t, alarm, alarm.at, chase=chase)
        rung.append((alarm.kind, alarm.stage, alarm.at, notices))
    return rung


def happened(t: TicketSnapshot, since: int = 0) -> list[tuple]:
    return [(e.action, e.data) for e in t.events if e.seq > since]


def climbed(frm: str, to: str, target: str) -> tuple:
    return (Action.ESCALATE, {"from_level": frm, "level": to, "target": target})


def kinds_at(rung: list[tuple]) -> list[tuple]:
    return [(kind, stage, at) for kind, stage, at, _ in rung]


def test_a_whole_story_warnings_breach_ladder_reminders_and_a_second_breach():
    t = ticket(deadline(Stage.CLAIM, 2, fractions=(0.5,)), deadline(Stage.HANDLE, 30))
    assert [(a.kind, a.stage, a.at) for a in sorted(alarms.pending(t), key=lambda a: a.at)] == [
        ("warning", Stage.CLAIM, H(1)),
        ("breach", Stage.CLAIM, H(2)),
        ("warning", Stage.HANDLE, H(15)),
        ("warning", Stage.HANDLE, H(24)),
        ("breach", Stage.HANDLE, H(30)),
    ]
    assert alarms.next_alarm(t) == Alarm(kind="warning", at=H(1), stage=Stage.CLAIM, fraction=0.5)

    # 1h: the claim warning, once
    rung = ring(t, H(1))
    assert rung[0][3] == [Notice(kind="warning", target="cgj", stage=Stage.CLAIM, due_at=H(2))]
    assert happened(t) == [
        (Action.DEADLINE_WARNING, {"stage": "claim", "fraction": 0.5, "due_at": H(2).isoformat()})
    ]
    assert "50% of the claim deadline" in t.events[-1].reason
    again = Alarm(kind="warning", at=H(1), stage=Stage.CLAIM, fraction=0.5)
    assert alarms.fire(t, again, H(1.5)) == [] and t.seq == 1

    # 2h: the breach makes the ticket overdue, escalates to the grid at once, schedules 催办
    rung = ring(t, H(2))
    assert rung[0][3] == [
        Notice(kind="breach", target="cgj", stage=Stage.CLAIM, due_at=H(2)),
        Notice(kind="escalate", target=CODE, level=Level.GRID),
    ]
    assert t.overdue and t.escalation_level == Level.GRID
    assert [(b.stage, b.due_at, b.breached_at) for b in t.breach_log] == [(Stage.CLAIM, H(2), H(2))]
    assert (t.next_escalation_at, t.next_reminder_at) == (H(3), H(7))
    assert happened(t, since=1) == [
        (Action.DEADLINE_BREACHED, {"stage": "claim", "due_at": H(2).isoformat()}),
        climbed("none", "grid", CODE),
    ]
    assert t.status == "dispatched"  # alarms never move the ticket

    # the ladder climbs 1h after grid, 2h after community, 4h after street; 催办 every 5h
    seq = t.seq
    rung = ring(t, H(13))
    assert kinds_at(rung) == [
        ("escalate", None, H(3)),
        ("escalate", None, H(5)),
        ("remind", None, H(7)),
        ("escalate", None, H(9)),
        ("remind", None, H(12)),
    ]
    assert [n for *_, notices in rung for n in notices] == [
        Notice(kind="escalate", target=COMMUNITY, level=Level.COMMUNITY),
        Notice(kind="escalate", target=STREET, level=Level.STREET),
        Notice(kind="remind", target="cgj", stage=Stage.CLAIM, due_at=H(2)),
        Notice(kind="escalate", target=DISTRICT, level=Level.DISTRICT),
        Notice(kind="remind", target="cgj", stage=Stage.CLAIM, due_at=H(2)),
    ]
    assert happened(t, since=seq) == [
        climbed("grid", "community", COMMUNITY),
        climbed("community", "street", STREET),
        (Action.REMIND, {"stages": ["claim"], "count": 1}),
        climbed("street", "district", DISTRICT),
        (Action.REMIND, {"stages": ["claim"], "count": 2}),
    ]
    assert t.events[-1].reason.startswith("催办 reminder 2")
    # the district is the top: nothing more to climb, only reminders
    assert t.escalation_level == Level.DISTRICT and t.next_escalation_at is None
    assert {a.kind for a in alarms.pending(t)} == {"warning", "breach", "remind"}
    assert alarms.fire(t, Alarm(kind="escalate", at=H(13)), H(13)) == []
    assert (t.escalation_level, t.reminder_count, t.next_reminder_at) == (Level.DISTRICT, 2, H(17))

    # 14h: the claim is met: no longer overdue, nothing to escalate or remind
    transitions.apply(t, ClaimInput(actor=CGJ), now=H(14))
    assert not t.overdue
    assert {a.kind for a in alarms.pending(t)} == {"warning", "breach"}
    seq = t.seq
    assert alarms.fire(t, Alarm(kind="remind", at=H(17)), H(17)) == []
    assert (t.seq, t.reminder_count, t.next_reminder_at) == (seq, 2, None)

    # the handling limit warns, then breaches: the ladder goes on from the district, no further
    rung = ring(t, H(40))
    assert kinds_at(rung) == [
        ("warning", Stage.HANDLE, H(15)),
        ("warning", Stage.HANDLE, H(24)),
        ("breach", Stage.HANDLE, H(30)),
        ("remind", None, H(35)),
        ("remind", None, H(40)),
    ]
    assert rung[2][3] == [Notice(kind="breach", target="cgj", stage=Stage.HANDLE, due_at=H(30))]
    assert [a for a, _ in happened(t, since=seq)] == [
        Action.DEADLINE_WARNING,
        Action.DEADLINE_WARNING,
        Action.DEADLINE_BREACHED,
        Action.REMIND,
        Action.REMIND,
    ]
    assert t.reminder_count == 4 and len(t.breach_log) == 2
    assert t.escalation_level == Level.DISTRICT and t.next_escalation_at is None


def test_a_second_breach_continues_the_ladder_from_the_current_level():
    t = ticket(deadline(Stage.CLAIM, 2, ()), deadline(Stage.HANDLE, 10, ()))
    ring(t, H(4))  # breach at 2h (grid), community at 3h
    assert t.escalation_level == Level.COMMUNITY
    transitions.apply(t, ClaimInput(actor=CGJ), now=H(4))
    seq = t.seq
    assert t.next_escalation_at == H(5)  # still set, but not pending: nobody is late now
    assert alarms.fire(t, Alarm(kind="escalate", at=H(5)), H(5)) == []
    assert (t.seq, t.escalation_level, t.next_escalation_at) == (seq, Level.COMMUNITY, None)
    rung = ring(t, H(13))
    assert kinds_at(rung) == [("breach", Stage.HANDLE, H(10)), ("escalate", None, H(12))]
    assert rung[0][3] == [Notice(kind="breach", target="cgj", stage=Stage.HANDLE, due_at=H(10))]
    assert happened(t, since=seq)[1:] == [climbed("community", "street", STREET)]
    assert (t.next_escalation_at, t.next_reminder_at) == (H(16), H(15))


def test_a_breach_while_already_overdue_changes_neither_ladder_nor_reminders():
    t = ticket(deadline(Stage.CLAIM, 2, ()), deadline(Stage.VERIFY, 2.5, ()))
    ring(t, H(2))
    schedule = (t.escalation_level, t.next_escalation_at, t.next_reminder_at)
    assert alarms.fire(t, Alarm(kind="breach", at=H(2.5), stage=Stage.VERIFY), H(2.5)) == [
        Notice(kind="breach", target="cgj", stage=Stage.VERIFY, due_at=H(2.5))
    ]
    assert (t.escalation_level, t.next_escalation_at, t.next_reminder_at) == schedule
    assert [a for a, _ in happened(t)].count(Action.ESCALATE) == 1
    ring(t, H(7))  # one reminder names both late stages
    assert t.events[-1].data == {"stages": ["claim", "verify"], "count": 1}


def test_stale_alarms_do_nothing():
    t = ticket(deadline(Stage.CLAIM, 2))
    transitions.apply(t, ClaimInput(actor=CGJ), now=H(0.5))
    seq = t.seq
    for alarm in [
        Alarm(kind="warning", at=H(1), stage=Stage.CLAIM, fraction=0.5),
        Alarm(kind="breach", at=H(2), stage=Stage.CLAIM),
        Alarm(kind="escalate", at=H(3)),
        Alarm(kind="remind", at=H(4)),
    ]:
        assert alarms.fire(t, alarm, alarm.at) == []
    assert t.seq == seq and t.escalation_level == Level.NONE and alarms.pending(t) == []


def test_warnings_of_a_breached_deadline_are_no_longer_pending():
    t = ticket(deadline(Stage.CLAIM, 2))
    alarms.fire(t, Alarm(kind="breach", at=H(2), stage=Stage.CLAIM), H(2))  # woke up late
    assert [a.kind for a in alarms.pending(t)] == ["escalate", "remind"]


def test_a_parked_ticket_only_waits_for_its_review():
    t = ticket(deadline(Stage.CLAIM, 2), deadline(Stage.HANDLE, 30))
    ring(t, H(2))
    assert t.overdue
    t.parking = Parking(
        parked_at=H(2), review_at=H(100), reason="frozen ground", approved_by="chen"
    )
    assert alarms.pending(t) == [Alarm(kind="review", at=H(100))]
    assert alarms.next_alarm(t, chase=False) == Alarm(kind="review", at=H(100))
    with pytest.raises(ValueError):
        alarms.fire(t, Alarm(kind="review", at=H(100)), H(100))


def test_v1_tickets_get_breaches_only():
    t = ticket(deadline(Stage.CLAIM, 2), deadline(Stage.VERIFY, 3))
    assert [(a.kind, a.stage) for a in alarms.pending(t, chase=False)] == [
        ("breach", Stage.CLAIM),
        ("breach", Stage.VERIFY),
    ]
    rung = ring(t, H(50), chase=False)
    assert kinds_at(rung) == [("breach", Stage.CLAIM, H(2)), ("breach", Stage.VERIFY, H(3))]
    assert all(notices == [] for *_, notices in rung)
    assert [a for a, _ in happened(t)] == [Action.DEADLINE_BREACHED] * 2
    assert t.overdue and len(t.breach_log) == 2
    assert t.escalation_level == Level.NONE
    assert t.next_escalation_at is t.next_reminder_at is None
    t.next_escalation_at = t.next_reminder_at = H(60)  # even if set, v1 never chases
    assert alarms.pending(t, chase=False) == []


def test_replan_alarm_only_while_deadlines_are_unplanned():
    t = ticket()
    t.next_replan_at = H(1)
    assert alarms.pending(t) == []
    t.unplanned = [UnplannedDeadline(stage=Stage.CLAIM, start=T0, error="no calendar for 2026")]
    assert alarms.pending(t) == [Alarm(kind="replan", at=H(1))]
    assert alarms.pending(t, chase=False) == []
    with pytest.raises(ValueError):
        alarms.fire(t, Alarm(kind="replan", at=H(1)), H(1))


@pytest.mark.parametrize(
    "stage, department, owner",
    [
        (Stage.CLAIM, "cgj", "cgj"),
        (Stage.HANDLE, "cgj", "cgj"),
        (Stage.RECTIFY, "cgj", "cgj"),
        (Stage.WRITE_OFF, "cgj", CODE),
        (Stage.DISPATCH, "cgj", "command-centre"),
        (None, None, "command-centre"),
        (Stage.WRITE_OFF, None, CODE),
    ],
)
def test_who_answers_for_a_stage(stage, department, owner):
    assert alarms.owner(ticket(department=department), stage) == owner


def test_the_write_off_breach_is_told_to_the_grid():
    t = ticket(deadline(Stage.WRITE_OFF, 4, ()), status="resolved")
    assert ring(t, H(4))[0][3][0] == Notice(
        kind="breach", target=CODE, stage=Stage.WRITE_OFF, due_at=H(4)
    )


@pytest.mark.parametrize(
    "level, target",
    [
        (Level.GRID, "33010600100102"),
        (Level.COMMUNITY, "330106001001"),
        (Level.STREET, "330106001"),
        (Level.DISTRICT, "330106"),
    ],
)
def test_each_level_of_the_ladder_has_its_own_target(level, target):
    assert alarms.level_target(ticket(), level) == target
