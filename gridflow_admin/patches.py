"""`patches`: can a `workflow.patched` gate of the ticket workflow be retired yet?
(docs/patches.md)

A gate keeps the old branch for tickets that started before the patch: the branch can go once
no such ticket is running. For each patch this counts, in Temporal's visibility, the running
TicketWorkflows started before its cut-off — its introduction while it is at `workflow.patched`,
its deprecation once it is at `workflow.deprecate_patch` — and says which step is next. The
instants are written in one place, the table in docs/patches.md, which this reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
from temporalio.client import Client

from gridflow_admin.options import exit_with
from settings import Settings
from temporal_client import connect

TABLE = Path(__file__).resolve().parent.parent / "docs" / "patches.md"
_HEADER = re.compile(r"^\|\s*patch\s*\|\s*introduced")
_ROW = re.compile(
    r"^\|\s*`(?P<id>[a-z0-9-]+)`\s*\|\s*(?P<introduced>[^|]+?)\s*\|"
    r"\s*(?P<deprecated>[^|]+?)\s*\|"
)


@dataclass(frozen=True)
class Patch:
    id: str
    introduced: datetime
    deprecated: datetime | None = None  # when workers with deprecate_patch replaced the rest


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text}: an instant needs its offset (e.g. Z)")
    return moment.astimezone(UTC)


def read_table(text: str) -> list[Patch]:
    """The patches of docs/patches.md's table `| patch | introduced | deprecated | …`, whose
    rows read `id` | introduced | deprecated (or –) | …"""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if _HEADER.match(line))
    patches = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        if m := _ROW.match(line):
            deprecated = m["deprecated"]
            patches.append(
                Patch(
                    id=m["id"],
                    introduced=_instant(m["introduced"]),
                    deprecated=None if deprecated in ("–", "-", "") else _instant(deprecated),
                )
            )
    return patches


def predating(before: datetime, *, task_queue: str | None = None) -> str:
    """The visibility query for running tickets started before `before`."""
    query = (
        "WorkflowType = 'TicketWorkflow' AND ExecutionStatus = 'Running' "
        f"AND StartTime < '{before.astimezone(UTC).isoformat().replace('+00:00', 'Z')}'"
    )
    return query + (f" AND TaskQueue = '{task_queue}'" if task_queue else "")


async def running_before(client: Client, before: datetime, *, task_queue: str | None = None) -> int:
    return (await client.count_workflows(predating(before, task_queue=task_queue))).count


@dataclass(frozen=True)
class PatchStatus:
    patch: Patch
    running: int  # tickets started before the cut-off, still running

    @property
    def cutoff(self) -> datetime:
        return self.patch.deprecated or self.patch.introduced

    @property
    def next_step(self) -> str:
        if self.running:
            return "keep it"
        return "remove it" if self.patch.deprecated else "deprecate it (workflow.deprecate_patch)"

    def line(self) -> str:
        stage = "deprecated" if self.patch.deprecated else "patched"
        return (
            f"{self.patch.id}: {stage} since {self.cutoff.isoformat()}; "
            f"{self.running} running ticket(s) started before: {self.next_step}"
        )


async def check(
    client: Client, patches: list[Patch], *, task_queue: str | None = None
) -> list[PatchStatus]:
    return [
        PatchStatus(
            patch=p,
            running=await running_before(
                client, p.deprecated or p.introduced, task_queue=task_queue
            ),
        )
        for p in patches
    ]


async def _main(task_queue: str | None) -> int:
    client = await connect(Settings())
    for status in await check(
        client, read_table(TABLE.read_text(encoding="utf-8")), task_queue=task_queue
    ):
        click.echo(status.line())
    return 0


@click.command(short_help="Which workflow.patched gates can be retired yet.")
@click.option(
    "--task-queue", default=None, help="count only tickets on this task queue (default: all)"
)
def patches(task_queue: str | None) -> None:
    """For each patch of docs/patches.md's table, the running tickets started before it (in
    Temporal's visibility) and the next step: keep it, deprecate it or remove it."""
    exit_with(_main(task_queue))
