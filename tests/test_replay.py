"""Saved histories replay against today's workflows: a non-deterministic change fails CI."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from domain.contracts import TicketInput
from tests.history_keys import history_converter
from workflows.calendar_notice import CalendarNoticeWorkflow
from workflows.core import (
    ALARMS_PATCH,
    DUPLICATES_PATCH,
    REDATE_PATCH,
    REVIEW_RECHECK_PATCH,
    ROUTE_RECHECK_PATCH,
)
from workflows.notices import NotificationRelayWorkflow
from workflows.reports import ReportWorkflow
from workflows.steps import LOCAL_READS_PATCH
from workflows.subject import SubjectWorkflow
from workflows.supervision import SupervisionOrderWorkflow
from workflows.ticket import TicketWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[
            TicketWorkflow,
            SubjectWorkflow,
            SupervisionOrderWorkflow,
            ReportWorkflow,
            NotificationRelayWorkflow,
            CalendarNoticeWorkflow,
        ],
        data_converter=history_converter(),
    )
    await replayer.replay_workflow(load(path))


def test_histories_cover_the_lifecycle() -> None:
    text = "".join(p.read_text() for p in HISTORIES)
    for update in (
        "dispatch",
        "claim",
        "return",
        "start_verification",
        "verify",
        "rectified",
        "write_off",
        "reject",
        "cancel",
        "request_extension",
        "decide_extension",
        "request_parking",
        "decide_parking",
        "unpark",
        "merge",
        "keep_separate",
        "attach_report",
        "sensor_reading",
        "recheck",
        "problem_found",
        "problem_closed",
        "urge",
        "answer",
        "close",
        "wake",
        "redate",
    ):
        assert any(f'"{key}": "{update}"' in text for key in ("name", "signalName")), update
    # Tickets from before deadline alarms (v1), with them (v2), with the duplicate check (v3) and
    # with routing re-checked after queued actions (v4), with local reads (v5) and with routing
    # after a keep-separate that queued behind the flag (v6) all replay; each carries its markers.
    assert {p.stem[:3] for p in HISTORIES} == {
        "v1_",
        "v2_",
        "v3_",
        "v4_",
        "v5_",
        "v6_",
        "v7_",
        "v8_",
    }
    # v8: a ticket re-dated by a year's holiday notice, and the notice's workflow (issue 16).
    assert {workflow_type(load(p)) for p in HISTORIES if p.stem.startswith("v8_")} == {
        "TicketWorkflow",
        "CalendarNoticeWorkflow",
    }
    # v7: 催办 on a ticket, a 督办单, a report and the notification relay (issue 14).
    assert {workflow_type(load(p)) for p in HISTORIES if p.stem.startswith("v7_")} == {
        "TicketWorkflow",
        "SupervisionOrderWorkflow",
        "Report",
        "NotificationRelay",
    }
    for path in HISTORIES:
        history = load(path)
        if workflow_type(history) != "TicketWorkflow":
            continue
        found = patches(history)
        assert (ALARMS_PATCH in found) == (not path.stem.startswith("v1_")), path.stem
        if DUPLICATES_PATCH in found:  # sensor tickets skip the check and carry no marker
            assert path.stem[:3] in ("v3_", "v4_", "v5_", "v6_", "v7_", "v8_"), path.stem
        if ROUTE_RECHECK_PATCH in found:
            assert path.stem[:3] in ("v4_", "v5_", "v6_", "v7_", "v8_"), path.stem
        assert (LOCAL_READS_PATCH in found) == path.stem.startswith(("v5_", "v6_", "v7_", "v8_")), (
            path.stem
        )
        if REVIEW_RECHECK_PATCH in found:
            assert path.stem.startswith(("v6_", "v7_", "v8_")), path.stem
        assert (REDATE_PATCH in found) == path.stem.startswith("v8_"), path.stem
        if LOCAL_READS_PATCH in found:  # no server-side activity for a read any more
            scheduled = activity_names(history)
            assert not scheduled & {"route_ticket", "schedule_deadlines", "find_duplicates"}
    assert any(DUPLICATES_PATCH in patches(load(p)) for p in HISTORIES if p.stem.startswith("v3_"))
    assert any(
        ROUTE_RECHECK_PATCH in patches(load(p)) for p in HISTORIES if p.stem.startswith("v4_")
    )
    assert any(
        REVIEW_RECHECK_PATCH in patches(load(p)) for p in HISTORIES if p.stem.startswith("v6_")
    )


def activity_names(history: WorkflowHistory) -> set[str]:
    return {
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    }


def workflow_type(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


def patches(history: WorkflowHistory) -> set[str]:
    """The patch ids recorded in a history (as `workflow.patched` markers)."""
    found = set()
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_patch":
                found |= {json.loads(p.data)["id"] for p in marker.details["patch-data"].payloads}
    return found


@workflow.defn(name="TicketWorkflow", sandboxed=False)
class ReorderedTicketWorkflow:
    """A careless rewrite that sleeps before routing: replay must refuse it."""

    @workflow.run
    async def run(self, input: TicketInput) -> None:
        await workflow.sleep(timedelta(seconds=1))


async def test_an_incompatible_change_fails_replay() -> None:
    replayer = Replayer(workflows=[ReorderedTicketWorkflow], data_converter=history_converter())
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(load(HISTORIES[0]))
