"""Deadline rules in the read model (readmodel.reference.policy_store): which rows apply to a
category, adding, deleting, seeding (SQLite and PostgreSQL)."""

import pytest

from domain import demo_city
from domain.policy import PolicyRule
from domain.states import DeadlineStage, Unit, Urgency
from readmodel.db import Database
from readmodel.reference import policy_store
from readmodel.reference.policy_store import DeadlineRuleError, DeadlineRuleNotFound
from tests.factories import GARBAGE, MANHOLE, STREETLIGHT

Stage = DeadlineStage


def rule(amount: float, category: str | None = None, **scope: Urgency) -> PolicyRule:
    return PolicyRule(
        stage=Stage.CLAIM, amount=amount, unit=Unit.WORKING_HOURS, category=category, **scope
    )


async def test_a_category_gets_its_own_rows_and_the_category_less_ones_oldest_first(
    db: Database,
) -> None:
    async with db.session() as session:
        for r in (
            rule(1, MANHOLE),
            rule(2),
            rule(3, STREETLIGHT),
            rule(4, MANHOLE, urgency=Urgency.URGENT),
            rule(5),
        ):
            await policy_store.add_rule(session=session, rule=r)
        manhole = await policy_store.rules_for(session=session, category=MANHOLE)
        garbage = await policy_store.rules_for(session=session, category=GARBAGE)
        listed = await policy_store.list_rules(session=session)
    assert [r.amount for r in manhole] == [1, 2, 4, 5]
    assert manhole[2] == rule(4, MANHOLE, urgency=Urgency.URGENT)
    assert [r.amount for r in garbage] == [2, 5]
    assert [r.amount for r in listed] == [1, 2, 3, 4, 5]


async def test_a_rule_for_an_unknown_category_is_refused_naming_the_field(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(DeadlineRuleError) as err:
            await policy_store.add_rule(session=session, rule=rule(1, "no-such"))
        assert (err.value.field, err.value.message) == ("category", "unknown category 'no-such'")
        assert await policy_store.list_rules(session=session) == []


async def test_deleting_a_rule_lets_the_others_apply_and_a_second_delete_is_not_found(
    db: Database,
) -> None:
    async with db.session() as session:
        gone = await policy_store.add_rule(session=session, rule=rule(1, MANHOLE))
        await policy_store.add_rule(session=session, rule=rule(2))
        assert gone.id is not None
        await policy_store.delete_rule(session=session, rule_id=gone.id)
        assert [
            r.amount for r in await policy_store.rules_for(session=session, category=MANHOLE)
        ] == [2]
        with pytest.raises(DeadlineRuleNotFound, match=f"no deadline rule {gone.id}"):
            await policy_store.delete_rule(session=session, rule_id=gone.id)


async def test_the_seed_fills_only_an_empty_table(db: Database) -> None:
    async with db.session() as session:
        added = await policy_store.seed_rules(session=session, rules=demo_city.DEADLINE_RULES)
        await session.commit()
        assert added == len(demo_city.DEADLINE_RULES) > 0
        own = await policy_store.add_rule(session=session, rule=rule(7, GARBAGE))
        assert own.id is not None
        await policy_store.delete_rule(
            session=session, rule_id=(await policy_store.list_rules(session=session))[0].id or 0
        )
        assert await policy_store.seed_rules(session=session, rules=demo_city.DEADLINE_RULES) == 0
        await session.commit()
        rows = await policy_store.list_rules(session=session)
    assert len(rows) == len(demo_city.DEADLINE_RULES)  # one seeded row deleted, the admin's kept
    assert rows[-1].amount == 7
