"""The notification relay: one long-lived workflow that pushes due deliveries out through their
channels (docs/notifications.md).

Each delivery's retries and backoff live in its row (readmodel/notices): a batch must not be
retried whole because one receiver is down, and the rows are what admins see and retry. The
relay sleeps until the earliest pending try, or until woken by a new notice or an admin's retry.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.notices import DELIVER_DUE, RELAY_WAKE, DeliverDueInput, DeliverDueResult

PATIENT = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
IDLE = timedelta(hours=6)  # looks again at least this often, even unwoken
ROUNDS_PER_RUN = 200  # then continues as new: the history stays short


@workflow.defn(name="NotificationRelay")
class NotificationRelayWorkflow:
    def __init__(self) -> None:
        self._woken = False

    @workflow.signal(name=RELAY_WAKE)
    def wake(self) -> None:
        self._woken = True

    @workflow.run
    async def run(self) -> None:
        for _ in range(ROUNDS_PER_RUN):
            self._woken = False
            result: DeliverDueResult = await workflow.execute_activity(
                DELIVER_DUE,
                DeliverDueInput(),
                result_type=DeliverDueResult,
                start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=timedelta(minutes=1),
                retry_policy=PATIENT,
                summary="push the deliveries due now",
            )
            if result.more or self._woken:
                continue
            wait = IDLE
            if result.next_due_at is not None:
                wait = min(IDLE, max(result.next_due_at - workflow.now(), timedelta(seconds=1)))
            try:
                await workflow.wait_condition(
                    lambda: self._woken, timeout=wait, timeout_summary="until the next try is due"
                )
            except TimeoutError:
                pass
            if workflow.info().is_continue_as_new_suggested():
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new()
