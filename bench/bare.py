"""The ceiling: bare Temporal. A workflow with a ticket lifecycle's shape (as many activities,
in the same places, and as many updates) and no domain logic, and its worker.

    python -m bench.bare     # the worker, on the same server and worker settings as worker.py

The shape is a plan [before, update 1, ..., update n, after]: the activities of each phase in
order, "a" for an activity and "l" for a local activity, read from a real lifecycle's history in
the same run (lifecycle.shape_of).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy

PATIENT = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
TIMEOUT = timedelta(seconds=30)
REMOTE, LOCAL = "a", "l"


@activity.defn(name="bench_noop")
async def noop(step: int) -> int:
    return step


@workflow.defn(name="BareLifecycle")
class BareLifecycle:
    @workflow.init
    def __init__(self, plan: list[str]) -> None:
        self.plan = plan
        self.ready = False
        self.updates = 0

    async def _activities(self, kinds: str) -> None:
        for i, kind in enumerate(kinds):
            if kind == LOCAL:
                await workflow.execute_local_activity(
                    noop, i, start_to_close_timeout=TIMEOUT, retry_policy=PATIENT
                )
            else:
                await workflow.execute_activity(
                    noop, i, start_to_close_timeout=TIMEOUT, retry_policy=PATIENT
                )

    @workflow.run
    async def run(self, plan: list[str]) -> int:
        await self._activities(plan[0])
        self.ready = True
        await workflow.wait_condition(lambda: self.updates >= len(plan) - 2)
        await self._activities(plan[-1])
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.updates

    @workflow.update
    async def step(self, k: int) -> int:
        await workflow.wait_condition(lambda: self.ready)
        await self._activities(self.plan[k])
        self.updates += 1
        return self.updates


async def lifecycle(client: Client, plan: list[str], workflow_id: str) -> None:
    """One bare lifecycle driven as the API drives a ticket: start, the updates, the result."""
    from bench.stack import BARE_QUEUE

    handle = await client.start_workflow(
        BareLifecycle.run, plan, id=workflow_id, task_queue=BARE_QUEUE
    )
    for k in range(1, len(plan) - 1):
        await handle.execute_update(BareLifecycle.step, k)
    await handle.result()


async def start(client: Client, plan: list[str], workflow_id: str) -> None:
    """A bare start, as POST /incidents starts a ticket: acknowledged when the server has it."""
    from bench.stack import BARE_QUEUE

    await client.start_workflow(BareLifecycle.run, plan, id=workflow_id, task_queue=BARE_QUEUE)


async def main() -> None:
    import signal

    from temporalio.worker import Worker

    from bench.stack import BARE_QUEUE
    from settings import settings
    from temporal_client import connect
    from worker import tuning

    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=BARE_QUEUE,
        workflows=[BareLifecycle],
        activities=[noop],
        **tuning(settings),
    ):
        print("bare worker started", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
