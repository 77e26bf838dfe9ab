"""Deadline rules in the read model: which apply to a category, list, add, delete, seed.

Shared by the schedule_deadlines activity, the admin API and the demo seed. The table's rows win
over the configured defaults (domain.policy.DeadlinePolicy.limit_for); a change applies to
deadlines opened from then on, never to running ones (their dates are in workflow history).
"""

from collections.abc import Sequence

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.policy import PolicyRule
from readmodel.reference.tables import Category, DeadlineRuleRow


class DeadlineRuleError(ValueError):
    """Refused input, naming the field (the API answers 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class DeadlineRuleNotFound(LookupError):
    pass


def to_rule(row: DeadlineRuleRow) -> PolicyRule:
    return PolicyRule.model_validate(row, from_attributes=True)


async def rules_for(*, session: AsyncSession, category: str) -> list[PolicyRule]:
    """The rows that can apply to a ticket of this category (its own and the category-less
    ones), oldest first: between equally specific rules the later row wins."""
    rows = (
        await session.exec(
            select(DeadlineRuleRow)
            .where(
                or_(col(DeadlineRuleRow.category).is_(None), DeadlineRuleRow.category == category)
            )
            .order_by(col(DeadlineRuleRow.id))
        )
    ).all()
    return [to_rule(r) for r in rows]


async def list_rules(*, session: AsyncSession) -> list[DeadlineRuleRow]:
    """Every row, oldest first."""
    return list(
        (await session.exec(select(DeadlineRuleRow).order_by(col(DeadlineRuleRow.id)))).all()
    )


async def add_rule(*, session: AsyncSession, rule: PolicyRule) -> DeadlineRuleRow:
    """A new row; its category, if any, must be a known one."""
    if rule.category is not None and await session.get(Category, rule.category) is None:
        raise DeadlineRuleError("category", f"unknown category '{rule.category}'")
    row = DeadlineRuleRow(**rule.model_dump())
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


async def delete_rule(*, session: AsyncSession, rule_id: int) -> None:
    """Remove a row; the next most specific rule applies again."""
    row = await session.get(DeadlineRuleRow, rule_id)
    if row is None:
        raise DeadlineRuleNotFound(f"no deadline rule {rule_id}")
    await session.delete(row)
    await session.commit()


async def seed_rules(*, session: AsyncSession, rules: Sequence[PolicyRule]) -> int:
    """Insert the rules only into an empty table, so an admin's later changes are never
    overwritten. Returns how many were added; no commit."""
    if (await session.exec(select(DeadlineRuleRow.id).limit(1))).first() is not None:
        return 0
    session.add_all(DeadlineRuleRow(**r.model_dump()) for r in rules)
    return len(rules)
