"""Lateness is visible before it happens and climbs the ladder when it does (time-skipping server)."""

from datetime import timedelta

from domain.actions import ClaimInput
from domain.states import DeadlineStage, EscalationLevel, Unit, Urgency
from tests.factories import CGJ, GRID
from tests.workflow_helpers import (
    CLAIM_ONLY,
    actions,
    deadline,
    notifications,
    routed,
    sleep_until,
    snapshot,
    ticket_running,
)
from workflows.ticket import TicketWorkflow

Stage = DeadlineStage


async def test_warnings_at_half_and_eighty_percent_then_the_breach(ts_env, db) -> None:
    async with ticket_running(ts_env, db, policy=CLAIM_ONLY) as handle:
        await routed(handle)
        t = await snapshot(handle)
        claim = deadline(t, Stage.CLAIM)
        assert claim.unit == Unit.WORKING_DAYS and claim.amount == 1
        half, most = claim.warnings
        assert (half.fraction, most.fraction) == (0.5, 0.8)
        assert claim.started_at < half.at < most.at < claim.due_at

        await sleep_until(ts_env, half.at)
        t = await snapshot(handle)
        assert actions(t).count("deadline_warning") == 1 and not t.overdue
        warned = [e for e in t.events if e.action == "deadline_warning"][0]
        assert warned.data == {
            "stage": "claim",
            "fraction": 0.5,
            "due_at": claim.due_at.isoformat(),
        }
        assert warned.at >= half.at

        await sleep_until(ts_env, most.at)
        t = await snapshot(handle)
        assert [e.data["fraction"] for e in t.events if e.action == "deadline_warning"] == [
            0.5,
            0.8,
        ]
        assert not t.overdue

        await sleep_until(ts_env, claim.due_at)
        t = await snapshot(handle)
    assert t.overdue and t.breaches[0].stage == Stage.CLAIM
    sent = [(n.kind, n.target) for n in await notifications(db, t.ticket_id)]
    assert sent[:3] == [("warning", "cgj"), ("warning", "cgj"), ("breach", "cgj")]
    assert ("escalate", GRID.code) in sent


async def test_escalation_climbs_grid_community_street_district_and_reminds_daily(
    ts_env, db
) -> None:
    async with ticket_running(ts_env, db, policy=CLAIM_ONLY) as handle:
        await routed(handle)
        due = deadline(await snapshot(handle), Stage.CLAIM).due_at
        await sleep_until(ts_env, due)
        t = await snapshot(handle)
        assert t.escalation_level == EscalationLevel.GRID
        breached_at = t.breaches[0].breached_at
        delays = t.alarm_policy.escalation_delays  # 4 hours, 1 day, 2 days by default
        assert delays == [timedelta(hours=4), timedelta(days=1), timedelta(days=2)]

        await sleep_until(ts_env, breached_at + delays[0])
        assert (await snapshot(handle)).escalation_level == EscalationLevel.COMMUNITY
        await sleep_until(ts_env, breached_at + delays[0] + delays[1])
        assert (await snapshot(handle)).escalation_level == EscalationLevel.STREET
        await sleep_until(ts_env, breached_at + sum(delays, timedelta()))
        assert (await snapshot(handle)).escalation_level == EscalationLevel.DISTRICT
        await ts_env.sleep(timedelta(days=3))  # the ladder ends at the district
        t = await snapshot(handle)
    climbs = [e for e in t.events if e.action == "escalate"]
    assert [e.data["level"] for e in climbs] == ["grid", "community", "street", "district"]
    assert [e.data["target"] for e in climbs] == [
        GRID.code,
        GRID.code[:12],
        GRID.code[:9],
        GRID.code[:6],
    ]
    elapsed = await ts_env.get_current_time() - breached_at
    assert t.reminder_count == elapsed // timedelta(hours=24) >= 6
    reminders = [e for e in t.events if e.action == "remind"]
    assert [e.data["count"] for e in reminders] == list(range(1, t.reminder_count + 1))
    assert all(r.data["stages"] == ["claim"] for r in reminders)
    targets = [n.target for n in await notifications(db, t.ticket_id) if n.kind == "escalate"]
    assert targets == [GRID.code, GRID.code[:12], GRID.code[:9], GRID.code[:6]]


async def test_meeting_the_deadline_stops_the_ladder_and_the_reminders(ts_env, db) -> None:
    async with ticket_running(ts_env, db, policy=CLAIM_ONLY) as handle:
        await routed(handle)
        due = deadline(await snapshot(handle), Stage.CLAIM).due_at
        await sleep_until(ts_env, due)
        await handle.execute_update(TicketWorkflow.claim, ClaimInput(actor=CGJ))
        t = await snapshot(handle)
        assert not t.overdue and t.escalation_level == EscalationLevel.GRID
        seq = t.seq
        await ts_env.sleep(timedelta(days=5))
        t = await snapshot(handle)
    assert t.seq == seq  # no climbs, no reminders: nothing is late any more
    assert t.escalation_level == EscalationLevel.GRID and t.reminder_count == 0


async def test_urgent_tickets_run_on_natural_hours(ts_env, db) -> None:
    async with ticket_running(ts_env, db, urgency=Urgency.URGENT) as handle:
        await routed(handle)
        t = await snapshot(handle)
        claim = deadline(t, Stage.CLAIM)
        assert claim.unit == Unit.HOURS and claim.due_at - claim.started_at == timedelta(hours=1)
        handle_limit = deadline(t, Stage.HANDLE)
        assert handle_limit.due_at - handle_limit.started_at == timedelta(hours=24)
        assert claim.warnings[0].at == claim.started_at + timedelta(minutes=30)
        await sleep_until(ts_env, claim.due_at)
        assert (await snapshot(handle)).overdue
