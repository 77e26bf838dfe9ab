"""Re-dating running deadlines when a year's notice replaces its provisional dating
(domain/redating.py): each keeps the working time it had left, what has happened stays."""

from datetime import date, datetime, timedelta

from domain.calendar import SHANGHAI, ChinaWorkingCalendar
from domain.models import Deadline, DeadlineWarning
from domain.redating import apply_redating, redate, redate_all
from domain.states import DeadlineStage, Unit
from readmodel.reference.calendar_store import china_schedule, statutory_schedule

OFFICIAL_2026 = {d: on for d, (on, _) in china_schedule([2026]).items()}
PROVISIONAL = ChinaWorkingCalendar(
    days=OFFICIAL_2026 | statutory_schedule(2027),
    known_years=[2026],
    provisional_years=[2027],
)
# "The notice": 1-3 January off as the rules say, and Monday 4 January off too, worked back
# on Saturday 9 January.
NOTICE_2027 = statutory_schedule(2027) | {date(2027, 1, 4): False, date(2027, 1, 9): True}
OFFICIAL = ChinaWorkingCalendar(days=OFFICIAL_2026 | NOTICE_2027, known_years=[2026, 2027])
NOW = datetime(2026, 12, 30, 11, tzinfo=SHANGHAI)  # Wednesday


def sh(m: int, d: int, h: int = 10, y: int = 2027) -> datetime:
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


def handle(**fields: object) -> Deadline:
    """3 working days from Wednesday 30 December 10:00: Thursday, (1-3 off) Monday 4, Tuesday 5."""
    values: dict[str, object] = {
        "stage": DeadlineStage.HANDLE,
        "started_at": sh(12, 30, y=2026),
        "due_at": sh(1, 5),
        "amount": 3,
        "provisional": True,
        "warnings": [
            DeadlineWarning(fraction=0.5, at=sh(1, 4, 14), fired_at=None),
            DeadlineWarning(fraction=0.2, at=sh(12, 30, 15, y=2026), fired_at=None),
        ],
    }
    return Deadline.model_validate(values | fields)


def test_a_deadline_keeps_its_working_time_left_and_loses_the_provisional_mark() -> None:
    change = redate(handle(), old=PROVISIONAL, new=OFFICIAL, now=NOW)
    assert change is not None
    # Left at Wednesday 11:00: the rest of Wednesday, Thursday, Monday 4th, Tuesday to 10:00.
    # On the notice Monday is off and Saturday 9th worked: Thursday, Tuesday 5th, Wednesday 6th.
    assert change.due_at == sh(1, 6) and change.moved == timedelta(days=1)
    assert change.provisional is False and change.old_due_at == sh(1, 5)
    # The 50 % warning still to come moves the same way; the 20 % one, at 15:00 today, too.
    assert [w.at for w in change.warnings] == [sh(1, 5, 14), sh(12, 30, 15, y=2026)]


def test_a_notice_that_confirms_the_rules_only_clears_the_mark() -> None:
    confirmed = ChinaWorkingCalendar(
        days=OFFICIAL_2026 | statutory_schedule(2027), known_years=[2026, 2027]
    )
    change = redate(handle(), old=PROVISIONAL, new=confirmed, now=NOW)
    assert change is not None and change.moved == timedelta(0) and change.provisional is False
    assert redate(handle(provisional=False), old=confirmed, new=confirmed, now=NOW) is None


def test_what_has_happened_stays() -> None:
    fired = DeadlineWarning(
        fraction=0.5, at=sh(12, 29, 14, y=2026), fired_at=sh(12, 29, 14, y=2026)
    )
    change = redate(handle(warnings=[fired]), old=PROVISIONAL, new=OFFICIAL, now=NOW)
    assert change is not None and change.warnings == [fired]
    for gone in (
        handle(met_at=NOW),
        handle(breached_at=NOW),
        handle(voided_at=NOW),
        handle(paused_at=NOW),  # its unparking dates it on the calendar of that day
        handle(unit=Unit.HOURS),  # natural time: no calendar in it
        handle(due_at=NOW - timedelta(minutes=1)),  # due already: its alarm is ringing
    ):
        assert redate(gone, old=PROVISIONAL, new=OFFICIAL, now=NOW) is None


def test_changes_are_applied_only_to_the_deadline_they_were_computed_for() -> None:
    deadlines = [
        handle(),
        handle(
            stage=DeadlineStage.CLAIM, due_at=sh(12, 31, y=2026), provisional=False, warnings=[]
        ),
    ]
    changes = redate_all(deadlines, old=PROVISIONAL, new=OFFICIAL, now=NOW)
    assert [c.stage for c in changes] == [DeadlineStage.HANDLE]  # the claim is inside 2026
    extended = [handle(due_at=sh(1, 8))]  # extended meanwhile: the change no longer fits
    assert apply_redating(extended, changes) == [] and extended[0].due_at == sh(1, 8)
    applied = apply_redating(deadlines, changes)
    assert [d.stage for d, _ in applied] == [DeadlineStage.HANDLE]
    assert deadlines[0].due_at == sh(1, 6) and deadlines[0].provisional is False
    assert apply_redating(deadlines, changes) == []  # twice: nothing more


def test_only_an_admin_re_dates_a_ticket_and_it_is_no_human_action_elsewhere() -> None:
    import pytest

    from domain import lifecycle
    from domain.actions import RedateInput
    from domain.models import Actor
    from domain.refusal import Refusal
    from domain.states import Role, TicketStatus
    from tests.factories import ticket_snapshot

    ticket = ticket_snapshot(status=TicketStatus.DISPATCHED)
    request = RedateInput(
        actor=Actor(user_id="admin", role=Role.ADMIN),
        year=2027,
        source="notice",
        loaded_by="admin",
        changes=[],
    )
    lifecycle.check(request, ticket, NOW)
    for role in (Role.SUPERVISOR, Role.DEPARTMENT_STAFF, Role.GRID_WORKER):
        refused = request.model_copy(update={"actor": Actor(user_id="x", role=role)})
        with pytest.raises(Refusal, match="only an admin may redate"):
            lifecycle.check(refused, ticket, NOW)
    ticket.status = TicketStatus.ARCHIVED
    with pytest.raises(Refusal, match="cannot redate"):
        lifecycle.check(request, ticket, NOW)
