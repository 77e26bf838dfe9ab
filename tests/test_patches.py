"""The patch table (docs/patches.md) names exactly the workflows' patches, and
`python -m gridflow_admin patches` counts the running tickets that started before a patch, on the
real dev server."""

import ast
import asyncio
import importlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from gridflow_admin.cli import main
from gridflow_admin.patches import TABLE, Patch, check, read_table, running_before
from tests.factories import incident_input

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"


def patches_in_code() -> set[str]:
    """The ids every workflow.patched / workflow.deprecate_patch call in workflows/ passes."""
    found = set()
    for path in WORKFLOWS.glob("*.py"):
        module = importlib.import_module(f"workflows.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("patched", "deprecate_patch")
                and ast.unparse(node.func.value) == "workflow"
            ):
                found.add(eval(ast.unparse(node.args[0]), vars(module)))  # a constant's name
    return found


def test_the_table_names_every_patch_the_workflows_ask_for() -> None:
    table = read_table(TABLE.read_text(encoding="utf-8"))
    assert len(table) == len({p.id for p in table}) == 8
    assert {p.id for p in table} == patches_in_code()
    assert all(p.introduced.tzinfo is not None and p.deprecated is None for p in table)


async def eventually(probe: Callable[[], Awaitable[int]], want: int) -> None:
    """Visibility trails the workflows by a moment: ask until it answers `want`."""
    deadline = time.monotonic() + 20
    while (got := await probe()) != want:
        assert time.monotonic() < deadline, f"{got} running, expected {want}"
        await asyncio.sleep(0.2)


async def start_ticket(client: Client, task_queue: str) -> tuple[WorkflowHandle, datetime]:
    """A TicketWorkflow on a task queue no worker polls: running, started now."""
    handle = await client.start_workflow(
        "TicketWorkflow", incident_input(), id=f"patches-{uuid.uuid4().hex}", task_queue=task_queue
    )
    return handle, (await handle.describe()).start_time


async def test_running_tickets_started_before_a_patch_are_counted(
    dev_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, task_queue = dev_env.client, f"tq-patches-{uuid.uuid4()}"
    early, early_at = await start_ticket(client, task_queue)
    await asyncio.sleep(0.5)
    late, late_at = await start_ticket(client, task_queue)
    between, after = early_at + (late_at - early_at) / 2, late_at + timedelta(seconds=1)
    try:

        def count(before: datetime) -> Callable[[], Awaitable[int]]:
            return lambda: running_before(client, before, task_queue=task_queue)

        await eventually(count(after), 2)
        assert await running_before(client, between, task_queue=task_queue) == 1
        assert (
            await running_before(client, early_at - timedelta(seconds=1), task_queue=task_queue)
            == 0
        )

        patched = Patch(id="a-patch", introduced=between)
        clean = Patch(id="older-patch", introduced=early_at - timedelta(seconds=1))
        deprecated = Patch(id="deprecated-patch", introduced=clean.introduced, deprecated=between)
        statuses = await check(client, [patched, clean, deprecated], task_queue=task_queue)
        assert [(s.running, s.next_step) for s in statuses] == [
            (1, "keep it"),
            (0, "deprecate it (workflow.deprecate_patch)"),
            (1, "keep it"),
        ]
        assert "a-patch: patched since" in statuses[0].line()
        assert "1 running ticket(s) started before: keep it" in statuses[0].line()

        await early.terminate(reason="test: the ticket from before the patch finished")
        await eventually(count(after), 1)
        [done] = await check(client, [deprecated], task_queue=task_queue)
        assert (done.running, done.next_step) == (0, "remove it")

        # The command, on the table's real patches (started now, our tickets predate none of
        # them unless this machine's clock is behind the commits: then each counts them).
        target = client.service_client.config.target_host
        monkeypatch.setenv("GRIDFLOW_TEMPORAL_ADDRESS", target)
        monkeypatch.setenv("GRIDFLOW_TEMPORAL_NAMESPACE", client.namespace)
        assert await asyncio.to_thread(main, ["patches", "--task-queue", task_queue]) == 0
        lines = capsys.readouterr().out.splitlines()
        table = read_table(TABLE.read_text(encoding="utf-8"))
        assert [line.split(":")[0] for line in lines] == [p.id for p in table]
        for line, patch in zip(lines, table, strict=True):
            running = int(late_at < patch.introduced)
            assert f"; {running} running ticket(s) started before: " in line, line
    finally:
        for handle in (early, late):
            try:
                await handle.terminate(reason="test over")
            except Exception:
                pass
