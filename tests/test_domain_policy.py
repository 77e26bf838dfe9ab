"""Deadline policy as data: domain.policy.DeadlinePolicy.limit_for, the most specific rule wins."""

from collections.abc import Sequence
from datetime import timedelta
from itertools import permutations

import pytest
from pydantic import ValidationError

from domain.models import AlarmPolicy
from domain.policy import DEFAULT_RULES, DeadlinePolicy, PolicyRule, StageLimit
from domain.states import DeadlineStage, Unit, Urgency

Stage = DeadlineStage
WD, H = Unit.WORKING_DAYS, Unit.HOURS
NORMAL, URGENT = Urgency.NORMAL, Urgency.URGENT


def rule(amount: float, unit: Unit = WD, stage: Stage = Stage.HANDLE, **scope) -> PolicyRule:
    return PolicyRule(stage=stage, amount=amount, unit=unit, **scope)


def limit(
    policy: DeadlinePolicy,
    category: str = "garbage",
    urgency: Urgency = NORMAL,
    stage: Stage = Stage.HANDLE,
    extra: Sequence[PolicyRule] = (),
) -> tuple[float, Unit]:
    got = policy.limit_for(stage, category=category, urgency=urgency, extra_rules=list(extra))
    return got.amount, got.unit


# One rule per level of specificity, for the handling limit.
LADDER = [
    rule(10),  # default
    rule(24, H, urgency=URGENT),  # urgency
    rule(5, category="garbage"),  # category
    rule(2, H, category="garbage", urgency=URGENT),  # category + urgency
    rule(15, category="construction"),
    rule(8, urgency=NORMAL),
]
SPECIFICITY = {  # (category, urgency) -> the rule that must win
    ("garbage", URGENT): (2, H),  # category + urgency beats everything
    ("garbage", NORMAL): (5, WD),  # category beats urgency (normal) and default
    ("construction", URGENT): (15, WD),  # category beats urgency
    ("construction", NORMAL): (15, WD),
    ("other", URGENT): (24, H),  # urgency beats default
    ("other", NORMAL): (8, WD),
}


@pytest.mark.parametrize("category, urgency", SPECIFICITY, ids=lambda v: str(v))
def test_the_most_specific_rule_wins(category, urgency):
    assert limit(DeadlinePolicy(rules=LADDER), category, urgency) == SPECIFICITY[category, urgency]


@pytest.mark.parametrize("order", list(permutations(range(4))), ids=str)
def test_specificity_not_row_order_decides_between_levels(order):
    rules = [LADDER[i] for i in order]
    policy = DeadlinePolicy(rules=rules)
    assert limit(policy, "garbage", URGENT) == (2, H)
    assert limit(policy, "garbage", NORMAL) == (5, WD)
    assert limit(policy, "other", URGENT) == (24, H)
    assert limit(policy, "other", NORMAL) == (10, WD)


def test_rules_for_other_stages_categories_and_urgencies_never_match():
    policy = DeadlinePolicy(
        rules=[
            rule(1),
            rule(99, stage=Stage.VERIFY, category="garbage", urgency=NORMAL),
            rule(98, category="ads"),
            rule(97, urgency=URGENT),
        ]
    )
    assert limit(policy, "garbage", NORMAL) == (1, WD)


TIES = {
    "two defaults": ([rule(3), rule(4)], "garbage", NORMAL, (4, WD)),
    "two category rules": (
        [rule(3, category="garbage"), rule(6, H, category="garbage")],
        "garbage",
        NORMAL,
        (6, H),
    ),
    "two urgency rules": (
        [rule(9, H, urgency=URGENT), rule(7, H, urgency=URGENT)],
        "other",
        URGENT,
        (7, H),
    ),
    "two exact rules": (
        [rule(1, category="ads", urgency=URGENT), rule(5, H, category="ads", urgency=URGENT)],
        "ads",
        URGENT,
        (5, H),
    ),
}


@pytest.mark.parametrize("rules, category, urgency, expected", TIES.values(), ids=TIES.keys())
def test_equally_specific_rules_the_later_row_wins(rules, category, urgency, expected):
    assert limit(DeadlinePolicy(rules=rules), category, urgency) == expected


EXTRA = {  # extra rules (the configured table) against the built-in defaults
    "table default beats built-in default": ([rule(7)], NORMAL, (7, WD)),
    "table default loses to built-in urgent": ([rule(7)], URGENT, (24, H)),
    "table urgent beats built-in urgent": ([rule(12, H, urgency=URGENT)], URGENT, (12, H)),
    "table category beats built-in urgent": ([rule(6, category="garbage")], URGENT, (6, WD)),
    "last table row wins its tie": ([rule(7), rule(9)], NORMAL, (9, WD)),
    "other category leaves the default": ([rule(1, category="ads")], NORMAL, (10, WD)),
}


@pytest.mark.parametrize("extra, urgency, expected", EXTRA.values(), ids=EXTRA.keys())
def test_extra_rules_come_after_the_defaults(extra, urgency, expected):
    policy = DeadlinePolicy()
    assert limit(policy, "garbage", urgency, extra=extra) == expected
    assert policy.rules == DEFAULT_RULES  # the extra rules are not kept
    assert limit(policy, "garbage", NORMAL) == (10, WD)


DEFAULTS = {  # written out by hand: a changed default fails here
    Stage.DISPATCH: ((1, WD), (1, H)),
    Stage.CLAIM: ((1, WD), (1, H)),
    Stage.VERIFY: ((3, WD), (4, H)),
    Stage.HANDLE: ((10, WD), (24, H)),
    Stage.RECTIFY: ((3, WD), (24, H)),
    Stage.WRITE_OFF: ((1, WD), (4, H)),
}


@pytest.mark.parametrize("stage", list(Stage))
def test_defaults_normal_in_working_days_urgent_in_natural_hours(stage):
    policy = DeadlinePolicy()
    normal, urgent = DEFAULTS[stage]
    assert limit(policy, "any", NORMAL, stage) == normal
    assert limit(policy, "any", URGENT, stage) == urgent
    assert policy.limit_for(stage, category="any", urgency=URGENT) == StageLimit(
        amount=urgent[0], unit=Unit.HOURS
    )


@pytest.mark.parametrize(
    "rules",
    [[], [rule(1, stage=Stage.CLAIM)], [rule(1, category="garbage")], [rule(1, urgency=URGENT)]],
    ids=["no rules", "other stage only", "other category", "other urgency"],
)
def test_no_matching_rule_is_a_lookup_error_naming_the_stage(rules):
    with pytest.raises(LookupError, match="handle"):
        DeadlinePolicy(rules=rules).limit_for(Stage.HANDLE, category="ads", urgency=NORMAL)


def test_extra_rules_can_fill_a_missing_stage():
    policy = DeadlinePolicy(rules=[])
    assert limit(policy, "ads", NORMAL, extra=[rule(2)]) == (2, WD)


@pytest.mark.parametrize("amount", [0, -1])
def test_a_rule_needs_a_positive_amount(amount):
    with pytest.raises(ValidationError):
        rule(amount)


def test_alarm_policy_carries_the_chase_settings():
    policy = DeadlinePolicy(
        escalation_delays=[timedelta(hours=1)] * 3,
        reminder_interval=timedelta(hours=12),
        max_extension_working_days=4,
    )
    assert policy.alarm_policy() == AlarmPolicy(
        escalation_delays=[timedelta(hours=1)] * 3,
        reminder_interval=timedelta(hours=12),
        max_extension_working_days=4,
    )
    assert DeadlinePolicy().alarm_policy() == AlarmPolicy()
    assert DeadlinePolicy().warning_fractions == [0.5, 0.8]
