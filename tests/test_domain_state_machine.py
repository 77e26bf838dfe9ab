"""The state machine's table (domain/state_machine.py), what is derived from it, and its diagram
in docs/lifecycle.md."""

import subprocess
import sys
from pathlib import Path

import pytest

from domain import lifecycle, state_machine
from domain.state_machine import TABLE, Owner, When
from domain.states import Action, DeadlineStage, Role, TicketStatus
from workflows.core import FINISHED, HANDLERS

S, A, Stage = TicketStatus, Action, DeadlineStage
ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "lifecycle.md"

# Written out by hand: lifecycle.ALLOWED_FROM as it was before the table.
OPEN = frozenset(
    {
        S.SUBMITTED,
        S.DUPLICATE_REVIEW,
        S.ROUTED,
        S.MANUAL_DISPATCH,
        S.DISPATCHED,
        S.CLAIMED,
        S.VERIFYING,
        S.RECTIFYING,
        S.RESOLVED,
    }
)
DEPT = frozenset({S.DISPATCHED, S.CLAIMED, S.VERIFYING, S.RECTIFYING})
OLD_ALLOWED_FROM = {
    A.DISPATCH: frozenset({S.MANUAL_DISPATCH}),
    A.CLAIM: frozenset({S.DISPATCHED}),
    A.RETURN: frozenset({S.DISPATCHED, S.CLAIMED, S.VERIFYING}),
    A.START_VERIFICATION: frozenset({S.CLAIMED}),
    A.VERIFY: frozenset({S.CLAIMED, S.VERIFYING}),
    A.RECTIFIED: frozenset({S.RECTIFYING}),
    A.WRITE_OFF: frozenset({S.RESOLVED}),
    A.REJECT: frozenset({S.RESOLVED}),
    A.CANCEL: OPEN,
    A.REQUEST_EXTENSION: DEPT,
    A.APPROVE_EXTENSION: DEPT,
    A.REFUSE_EXTENSION: DEPT,
    A.REQUEST_PARKING: DEPT,
    A.APPROVE_PARKING: DEPT,
    A.REFUSE_PARKING: DEPT,
    A.UNPARK: OPEN,
    A.MERGE: frozenset({S.DUPLICATE_REVIEW}),
    A.KEEP_SEPARATE: frozenset({S.DUPLICATE_REVIEW}),
    A.URGE: DEPT,  # added with 催办 (issue 14)
    A.REDATE: OPEN,  # added with a year's holiday notice (issue 16)
}
OLD_DEPARTMENT_ACTIONS = {
    A.CLAIM,
    A.RETURN,
    A.START_VERIFICATION,
    A.VERIFY,
    A.RECTIFIED,
    A.REQUEST_EXTENSION,
    A.REQUEST_PARKING,
}
OLD_WRITE_OFF_ACTIONS = {A.WRITE_OFF, A.REJECT}
OLD_SUPERVISOR_ACTIONS = {
    A.DISPATCH,
    A.CANCEL,
    A.APPROVE_EXTENSION,
    A.REFUSE_EXTENSION,
    A.APPROVE_PARKING,
    A.REFUSE_PARKING,
    A.UNPARK,
    A.MERGE,
    A.KEEP_SEPARATE,
    A.URGE,
}
# Where each event led when transitions.py, duplicates.py and core.py wrote it inline
# (None: the state stays), and the deadlines it opened, in the order they were asked for.
OLD_TARGETS = {
    (A.SUBMIT, None): (S.SUBMITTED, (Stage.DISPATCH,)),
    (A.FLAG_DUPLICATE, None): (S.DUPLICATE_REVIEW, ()),
    (A.MERGE, None): (S.MERGED, ()),
    (A.KEEP_SEPARATE, None): (S.SUBMITTED, ()),
    (A.ROUTE, When.RULE_MATCHED): (S.ROUTED, ()),
    (A.ROUTE, When.NO_RULE): (S.MANUAL_DISPATCH, ()),
    (A.DISPATCH, None): (S.DISPATCHED, (Stage.CLAIM, Stage.VERIFY, Stage.HANDLE)),
    (A.CLAIM, None): (S.CLAIMED, ()),
    (A.RETURN, None): (S.MANUAL_DISPATCH, (Stage.DISPATCH,)),
    (A.START_VERIFICATION, None): (S.VERIFYING, ()),
    (A.VERIFY, When.SETTLED): (S.RESOLVED, (Stage.WRITE_OFF,)),
    (A.VERIFY, When.NEEDS_RECTIFICATION): (S.RECTIFYING, (Stage.RECTIFY,)),
    (A.RECTIFIED, None): (S.RESOLVED, (Stage.WRITE_OFF,)),
    (A.WRITE_OFF, None): (S.WRITTEN_OFF, ()),
    (A.REJECT, None): (S.RECTIFYING, (Stage.RECTIFY,)),
    (A.CANCEL, None): (S.CANCELLED, ()),
    (A.ARCHIVE, None): (S.ARCHIVED, ()),
} | {
    (a, None): (None, ())
    for a in (
        A.REQUEST_EXTENSION,
        A.APPROVE_EXTENSION,
        A.REFUSE_EXTENSION,
        A.REQUEST_PARKING,
        A.APPROVE_PARKING,
        A.REFUSE_PARKING,
        A.UNPARK,
        A.DEADLINE_WARNING,
        A.DEADLINE_BREACHED,
        A.ESCALATE,
        A.REMIND,
        A.CALENDAR_ALERT,
        A.MERGED_REPORT,
        A.SENSOR_REPEAT,
        A.URGE,
        A.REDATE,
    )
}


# --- the table -------------------------------------------------------------------------------


def test_every_status_is_in_the_table():
    seen = {s for row in TABLE for s in row.from_} | {row.to for row in TABLE if row.to}
    assert S.DUPLICATE_REVIEW in seen and S.MERGED in seen
    assert seen == set(TicketStatus)


def test_every_action_has_a_row():
    assert {row.action for row in TABLE} == set(Action)


def test_the_derived_allowed_from_is_what_it_was():
    assert state_machine.ALLOWED_FROM == OLD_ALLOWED_FROM
    assert lifecycle.ALLOWED_FROM == OLD_ALLOWED_FROM


def test_the_derived_role_sets_are_what_they_were():
    assert lifecycle.DEPARTMENT_ACTIONS == OLD_DEPARTMENT_ACTIONS
    assert lifecycle.WRITE_OFF_ACTIONS == OLD_WRITE_OFF_ACTIONS
    assert lifecycle.SUPERVISOR_ACTIONS == OLD_SUPERVISOR_ACTIONS
    assert state_machine.ROLES[Owner.GRID] == {Role.GRID_WORKER, Role.SUPERVISOR}


def test_every_event_leads_where_it_led_and_opens_what_it_opened():
    assert {(row.action, row.when) for row in TABLE} == set(OLD_TARGETS)
    for (action, when), (to, opens) in OLD_TARGETS.items():
        assert state_machine.transition(action, when).to == to, (action, when)
        assert state_machine.opens(action, when) == opens, (action, when)
        assert state_machine.next_status(action, S.CLAIMED, when) == to or S.CLAIMED


def test_an_action_with_several_targets_names_the_condition_of_each():
    for action in Action:
        rows = [r for r in TABLE if r.action == action]
        targets = {r.to for r in rows}
        if len(targets) > 1:
            assert all(r.when for r in rows), action
        for row in rows:  # rows that differ only in who and from where lead alike
            assert state_machine.transition(action, row.when).to == row.to
            assert state_machine.transition(action, row.when).opens == row.opens
    assert {r.when for r in TABLE if r.action == A.VERIFY} == {
        When.SETTLED,
        When.NEEDS_RECTIFICATION,
    }
    with pytest.raises(ValueError):
        state_machine.transition(A.VERIFY)  # the finding must say which


def test_an_action_people_take_has_one_owner_and_no_system_row_is_theirs():
    for action in state_machine.ALLOWED_FROM:
        owners = {r.by for r in TABLE if r.action == action and r.by in state_machine.PEOPLE}
        assert owners == {state_machine.OWNER[action]}, action
    # dispatch after routing is the system's, in the same step: not a state a supervisor may act in
    assert S.ROUTED not in state_machine.ALLOWED_FROM[A.DISPATCH]
    assert A.SUBMIT not in state_machine.ALLOWED_FROM  # intake, not an update


def test_the_workflow_has_a_handler_for_every_action_people_take():
    assert set(HANDLERS) == set(state_machine.ALLOWED_FROM)
    assert FINISHED == {S.WRITTEN_OFF, S.CANCELLED, S.MERGED}


# --- the diagram -----------------------------------------------------------------------------


def diagram_in(doc: str) -> str:
    section = doc.split("\n## Lifecycle\n", 1)[1].split("\n## ", 1)[0]
    return section.split(state_machine.FENCE + "\n", 1)[1].split("```", 1)[0]


def test_the_diagram_in_docs_lifecycle_is_the_tables():
    doc = DOC.read_text(encoding="utf-8")
    assert diagram_in(doc) == state_machine.mermaid(), (
        "docs/lifecycle.md's diagram disagrees with domain/state_machine.py's table: "
        "run `python -m domain.state_machine --write`"
    )
    assert state_machine.with_diagram(doc, state_machine.mermaid()) == doc


def test_the_diagram_draws_every_state_and_every_row():
    text = state_machine.mermaid()
    for status in TicketStatus:
        assert status.value in text, status
    for row in TABLE:
        for start in row.from_ if row.to and row.from_ not in state_machine.GROUPS else ():
            assert f"{start.value} --> {row.to.value}: {row.action.value}" in text, row
        if row.to is None:
            assert any(
                row.action.value in line and "the state stays" in line for line in text.splitlines()
            ), row
    assert "--> cancelled: cancel (supervisor)" in text  # from the box of every open state


def test_writing_the_diagram_replaces_only_its_fenced_block(tmp_path: Path):
    doc = tmp_path / "lifecycle.md"
    before = "# Domain\n\nIntro.\n\n## Lifecycle\n\nWords first.\n\n```\nold picture\n```\n"
    after = "\nThe table says more.\n\n## Duplicates\n\n```\nnot the diagram\n```\n"
    doc.write_text(before + after, encoding="utf-8")
    state_machine.main(["--write"], doc=doc)
    written = doc.read_text(encoding="utf-8")
    assert written.startswith("# Domain\n\nIntro.\n\n## Lifecycle\n\nWords first.\n\n```mermaid\n")
    assert written.endswith(after)
    assert diagram_in(written) == state_machine.mermaid()
    state_machine.main(["--write"], doc=doc)
    assert doc.read_text(encoding="utf-8") == written  # a second run changes nothing


def test_writing_into_a_missing_document_creates_the_section(tmp_path: Path):
    doc = tmp_path / "lifecycle.md"
    state_machine.main(["--write"], doc=doc)
    expected = f"## Lifecycle\n\n```mermaid\n{state_machine.mermaid()}```\n"
    assert doc.read_text(encoding="utf-8") == expected


def test_the_module_prints_the_diagram():
    out = subprocess.run(
        [sys.executable, "-m", "domain.state_machine"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out == state_machine.mermaid()
