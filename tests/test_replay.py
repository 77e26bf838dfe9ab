"""Saved histories replay against today's TicketWorkflow: a non-deterministic change fails CI."""
from datetime import timedelta
import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from domain.contracts import TicketInput
from workflows.core import ALARMS_PATCH
from workflows.ticket import TicketWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[TicketWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(load(path))


def test_histories_cover_the_lifecycle() -> None:
    text = "".join(p.read_text() for p in HISTORIES)
    for update in ("dispatch", "claim", "return", "start_verification", "verify", "rectified",
                   "write_off", "reject", "cancel", "request_extension", "decide_extension",
                   "request_parking", "decide_parking", "unpark"):
        assert f'"name": "{update}"' in text or f'"name":"{update}"' in text, update
    # Tickets from before deadline alarms (v1) and after (v2, marked by the patch) both replay.
    assert any(p.stem.startswith("v1_") for p in HISTORIES)
    for path in HISTORIES:
        assert (ALARMS_PATCH in patches(load(path))) == path.stem.startswith("v2_"), path.stem


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
    replayer = Replayer(workflows=[ReorderedTicketWorkflow], data_converter=pydantic_data_converter)
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(load(HISTORIES[0]))
