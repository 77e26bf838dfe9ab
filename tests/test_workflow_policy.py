"""The deadline policy is data: the demo's handling limits per category, rules the admin adds."""

from domain.policy import PolicyRule
from domain.states import DeadlineStage, Unit, Urgency
from readmodel.reference import policy_store
from tests.factories import FIRE_PASSAGE, GARBAGE, ILLEGAL_CONSTRUCTION, MANHOLE
from tests.workflow_helpers import deadline, routed, snapshot, ticket_running

Stage = DeadlineStage


async def test_demo_handling_limits_per_category(ts_env, demo_db, calendar) -> None:
    expected = {
        GARBAGE: (4, Unit.WORKING_HOURS),
        ILLEGAL_CONSTRUCTION: (20, Unit.WORKING_DAYS),
        FIRE_PASSAGE: (4, Unit.HOURS),
    }
    for category, (amount, unit) in expected.items():
        async with ticket_running(ts_env, demo_db, category=category) as handle:
            await routed(handle)
            t = await snapshot(handle)
        handling = deadline(t, Stage.HANDLE)
        assert (handling.amount, handling.unit) == (amount, unit), category
        assert handling.due_at == calendar.add(handling.started_at, amount, unit)
        assert deadline(t, Stage.VERIFY).amount == 3  # the stage default still applies


async def test_a_rule_added_in_the_table_applies_to_new_deadlines(ts_env, db) -> None:
    async with ticket_running(ts_env, db, category=MANHOLE) as handle:
        await routed(handle)
        before = deadline(await snapshot(handle), Stage.CLAIM)
    async with db.session() as session:
        await policy_store.add_rule(
            session=session,
            rule=PolicyRule(stage=Stage.CLAIM, amount=3, unit=Unit.WORKING_HOURS, category=MANHOLE),
        )
    async with ticket_running(ts_env, db, category=MANHOLE) as handle:
        await routed(handle)
        after = deadline(await snapshot(handle), Stage.CLAIM)
    assert (before.amount, before.unit) == (1, Unit.WORKING_DAYS)
    assert (after.amount, after.unit) == (3, Unit.WORKING_HOURS)
    # Urgent manhole reports are not covered by the category rule's urgency-free row alone:
    async with ticket_running(ts_env, db, category=MANHOLE, urgency=Urgency.URGENT) as handle:
        await routed(handle)
        urgent = deadline(await snapshot(handle), Stage.CLAIM)
    assert (urgent.amount, urgent.unit) == (3, Unit.WORKING_HOURS)  # category beats urgency
