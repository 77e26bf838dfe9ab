"""The ticket's state machine as data: every action, the states it starts from, where it leads,
who may take it and the deadlines it opens. One row per (action, condition, owner).

`domain.lifecycle` checks actors and states against this table, `domain.transitions`,
`domain.duplicates`, `domain.holds` and `domain.alarms` take each event's target state from it,
and `mermaid()` draws it for docs/lifecycle.md. Regenerate that diagram with
`python -m domain.state_machine --write`.
"""

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from domain.states import (
    DEPARTMENT_STATUSES,
    OPEN_STATUSES,
    Action,
    DeadlineStage,
    Role,
    TicketStatus,
)

S, A, Stage = TicketStatus, Action, DeadlineStage


class Owner(StrEnum):
    """Who may take an action, and on which tickets."""

    DEPARTMENT = "department"  # staff of the department the ticket is assigned to
    GRID = "grid worker or supervisor"  # a worker of the ticket's grid, or any supervisor
    SUPERVISOR = "supervisor"
    REPORTER = "grid worker or sensor"  # at intake, never as an action on a ticket
    SYSTEM = "system"  # the workflow itself: routing, the clock, signals, the archive
    ADMIN = "admin"  # configuration an admin changed, carried to the running ticket (re-dating)


ROLES: dict[Owner, frozenset[Role]] = {
    Owner.DEPARTMENT: frozenset({Role.DEPARTMENT_STAFF}),
    Owner.GRID: frozenset({Role.GRID_WORKER, Role.SUPERVISOR}),
    Owner.SUPERVISOR: frozenset({Role.SUPERVISOR}),
    Owner.REPORTER: frozenset({Role.GRID_WORKER, Role.SENSOR}),
    Owner.SYSTEM: frozenset({Role.SYSTEM}),
    Owner.ADMIN: frozenset({Role.ADMIN}),
}
# The owners whose actions reach a running ticket as workflow updates, checked by lifecycle.
PEOPLE = frozenset({Owner.DEPARTMENT, Owner.GRID, Owner.SUPERVISOR, Owner.ADMIN})


class When(StrEnum):
    """The input that picks the target of an action that has more than one."""

    RULE_MATCHED = "a rule matched"
    NO_RULE = "no rule"
    SETTLED = "not_found or fixed_on_site"  # the finding's outcome
    NEEDS_RECTIFICATION = "needs_rectification"


@dataclass(frozen=True)
class Transition:
    action: Action
    from_: frozenset[TicketStatus]  # empty: the ticket does not exist yet (submit)
    to: TicketStatus | None  # None: the state stays as it is
    by: Owner
    opens: tuple[DeadlineStage, ...] = ()  # in the order the workflow schedules them
    when: When | None = None


def T(
    action: Action,
    from_: Iterable[TicketStatus],
    to: TicketStatus | None,
    by: Owner,
    *,
    opens: tuple[DeadlineStage, ...] = (),
    when: When | None = None,
) -> Transition:
    return Transition(action, frozenset(from_), to, by, opens, when)


DISPATCH_OPENS = (Stage.CLAIM, Stage.VERIFY, Stage.HANDLE)
FINISHED = frozenset({S.WRITTEN_OFF, S.CANCELLED, S.MERGED})

# For the system's rows that keep the state, from_ says where they happen; only the rows people
# take are enforced (lifecycle.check_state).
TABLE: tuple[Transition, ...] = (
    T(A.SUBMIT, set(), S.SUBMITTED, Owner.REPORTER, opens=(Stage.DISPATCH,)),
    T(A.FLAG_DUPLICATE, {S.SUBMITTED}, S.DUPLICATE_REVIEW, Owner.SYSTEM),
    T(A.MERGE, {S.DUPLICATE_REVIEW}, S.MERGED, Owner.SUPERVISOR),
    T(A.KEEP_SEPARATE, {S.DUPLICATE_REVIEW}, S.SUBMITTED, Owner.SUPERVISOR),
    T(A.ROUTE, {S.SUBMITTED}, S.ROUTED, Owner.SYSTEM, when=When.RULE_MATCHED),
    T(A.ROUTE, {S.SUBMITTED}, S.MANUAL_DISPATCH, Owner.SYSTEM, when=When.NO_RULE),
    T(A.DISPATCH, {S.ROUTED}, S.DISPATCHED, Owner.SYSTEM, opens=DISPATCH_OPENS),
    T(A.DISPATCH, {S.MANUAL_DISPATCH}, S.DISPATCHED, Owner.SUPERVISOR, opens=DISPATCH_OPENS),
    T(A.CLAIM, {S.DISPATCHED}, S.CLAIMED, Owner.DEPARTMENT),
    T(
        A.RETURN,
        {S.DISPATCHED, S.CLAIMED, S.VERIFYING},
        S.MANUAL_DISPATCH,
        Owner.DEPARTMENT,
        opens=(Stage.DISPATCH,),
    ),
    T(A.START_VERIFICATION, {S.CLAIMED}, S.VERIFYING, Owner.DEPARTMENT),
    T(
        A.VERIFY,
        {S.CLAIMED, S.VERIFYING},
        S.RESOLVED,
        Owner.DEPARTMENT,
        opens=(Stage.WRITE_OFF,),
        when=When.SETTLED,
    ),
    T(
        A.VERIFY,
        {S.CLAIMED, S.VERIFYING},
        S.RECTIFYING,
        Owner.DEPARTMENT,
        opens=(Stage.RECTIFY,),
        when=When.NEEDS_RECTIFICATION,
    ),
    T(A.RECTIFIED, {S.RECTIFYING}, S.RESOLVED, Owner.DEPARTMENT, opens=(Stage.WRITE_OFF,)),
    T(A.WRITE_OFF, {S.RESOLVED}, S.WRITTEN_OFF, Owner.GRID),
    T(A.REJECT, {S.RESOLVED}, S.RECTIFYING, Owner.GRID, opens=(Stage.RECTIFY,)),
    T(A.CANCEL, OPEN_STATUSES, S.CANCELLED, Owner.SUPERVISOR),
    T(A.ARCHIVE, FINISHED, S.ARCHIVED, Owner.SYSTEM),
    # Holds (extensions, parking): the state stays, the clock moves or stops.
    T(A.REQUEST_EXTENSION, DEPARTMENT_STATUSES, None, Owner.DEPARTMENT),
    T(A.APPROVE_EXTENSION, DEPARTMENT_STATUSES, None, Owner.SUPERVISOR),
    T(A.REFUSE_EXTENSION, DEPARTMENT_STATUSES, None, Owner.SUPERVISOR),
    T(A.REQUEST_PARKING, DEPARTMENT_STATUSES, None, Owner.DEPARTMENT),
    T(A.APPROVE_PARKING, DEPARTMENT_STATUSES, None, Owner.SUPERVISOR),
    T(A.REFUSE_PARKING, DEPARTMENT_STATUSES, None, Owner.SUPERVISOR),
    T(A.UNPARK, OPEN_STATUSES, None, Owner.SUPERVISOR),
    # 催办: the department hears a supervisor's words; the state and the clock stay.
    T(A.URGE, DEPARTMENT_STATUSES, None, Owner.SUPERVISOR),
    # Timeline events of the clock and of signals: the state stays.
    T(A.DEADLINE_WARNING, OPEN_STATUSES, None, Owner.SYSTEM),
    T(A.DEADLINE_BREACHED, OPEN_STATUSES, None, Owner.SYSTEM),
    T(A.ESCALATE, OPEN_STATUSES, None, Owner.SYSTEM),
    T(A.REMIND, OPEN_STATUSES, None, Owner.SYSTEM),
    T(A.CALENDAR_ALERT, OPEN_STATUSES, None, Owner.SYSTEM),
    T(A.MERGED_REPORT, OPEN_STATUSES, None, Owner.SYSTEM),
    T(A.SENSOR_REPEAT, OPEN_STATUSES, None, Owner.SYSTEM),
    # A year's holiday notice loaded by an admin, carried to the ticket for them by the system.
    T(A.REDATE, OPEN_STATUSES, None, Owner.ADMIN),
)


def transition(action: Action, when: When | None = None) -> Transition:
    """The row an action follows; an action's rows differ in target only by their condition."""
    for row in TABLE:
        if row.action == action and row.when == when:
            return row
    raise ValueError(f"no transition for {action} when {when}")


def next_status(action: Action, current: TicketStatus, when: When | None = None) -> TicketStatus:
    return transition(action, when).to or current


def opens(action: Action, when: When | None = None) -> tuple[DeadlineStage, ...]:
    return transition(action, when).opens


def _people_rows() -> dict[Action, list[Transition]]:
    rows: dict[Action, list[Transition]] = {}
    for row in TABLE:
        if row.by in PEOPLE:
            rows.setdefault(row.action, []).append(row)
    return rows


# The views lifecycle checks with: for each action people take, its states and its owner.
ALLOWED_FROM: dict[Action, frozenset[TicketStatus]] = {
    action: frozenset().union(*(r.from_ for r in rows)) for action, rows in _people_rows().items()
}
OWNER: dict[Action, Owner] = {action: rows[0].by for action, rows in _people_rows().items()}


# --- the diagram -----------------------------------------------------------------------------

FENCE = "```mermaid"


def _label(row: Transition) -> str:
    label = row.action.value
    if row.when:
        label += f" [{row.when.value}]"
    label += f" ({row.by.value})"
    if row.opens:
        label += " opens " + " + ".join(s.value for s in row.opens)
    return label


def _states(states: frozenset[TicketStatus]) -> list[TicketStatus]:
    return [s for s in TicketStatus if s in states]


# Sets of states drawn as one box: the rows from all of them start there, not at each state.
GROUPS = {OPEN_STATUSES: "any open state", DEPARTMENT_STATUSES: "in a department"}


def mermaid() -> str:
    """Every state and every row: an arrow for each move, a line in a dashed box for each row that
    keeps the state (the box names the states), the moves from every open state from that box."""
    lines = ["stateDiagram-v2", "    classDef group fill:#f6f6f6,stroke:#999,stroke-dasharray:4 4"]
    boxes: dict[frozenset[TicketStatus], str] = {}
    for row in TABLE:
        if row.to is None or row.from_ in GROUPS:
            box = boxes.setdefault(row.from_, f"group_{len(boxes) + 1}")
            starts = [box]
        else:
            starts = [s.value for s in _states(row.from_)] or ["[*]"]
        if row.to is not None:
            lines += [f"    {start} --> {row.to.value}: {_label(row)}" for start in starts]
    lines.append(f"    {S.ARCHIVED.value} --> [*]")
    for where, box in boxes.items():
        names = ", ".join(_states(where))
        title = f"{GROUPS[where]} ({names})" if where in GROUPS else names
        lines.append(f'    state "{title}" as {box}')
        by_owner: dict[Owner, list[str]] = {}
        for row in TABLE:
            if row.from_ == where and row.to is None:
                by_owner.setdefault(row.by, []).append(row.action.value)
        lines += [
            f"    {box} : the state stays on {', '.join(actions)} ({owner.value})"
            for owner, actions in by_owner.items()
        ]
        lines.append(f"    class {box} group")
    return "\n".join(lines) + "\n"


def with_diagram(doc: str, diagram: str) -> str:
    """The document with the fenced diagram under "## Lifecycle" replaced (or added)."""
    head, heading, rest = doc.partition("## Lifecycle\n")
    if not heading:
        section = f"## Lifecycle\n\n{FENCE}\n{diagram}```\n"
        return doc.rstrip("\n") + "\n\n" + section if doc.strip() else section
    start = rest.find("```")
    end = rest.find("\n```", start + 3) if start >= 0 else -1
    next_heading = rest.find("\n## ")
    if start < 0 or end < 0 or (0 <= next_heading < start):
        return f"{head}{heading}\n{FENCE}\n{diagram}```\n{rest}"
    return f"{head}{heading}{rest[:start]}{FENCE}\n{diagram}```{rest[end + 4 :]}"


DOC = Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md"


def main(argv: list[str], doc: Path = DOC) -> None:
    if argv == ["--write"]:
        text = doc.read_text(encoding="utf-8") if doc.exists() else ""
        doc.write_text(with_diagram(text, mermaid()), encoding="utf-8")
    elif not argv:
        sys.stdout.write(mermaid())
    else:
        sys.exit("usage: python -m domain.state_machine [--write]")


if __name__ == "__main__":
    main(sys.argv[1:])
