"""Extensions move the running timer; parking stops the clock until the review date."""

from datetime import timedelta
from typing import Any, TypeVar

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.workflow import UpdateMethodMultiParam

from domain.actions import (
    ClaimInput,
    ExtensionDecisionInput,
    ParkingDecisionInput,
    RequestExtensionInput,
    RequestParkingInput,
    UnparkInput,
)
from domain.policy import DEFAULT_RULES, DeadlinePolicy, PolicyRule
from domain.states import Action, DeadlineStage, Unit
from tests.factories import CGJ, CHEN
from tests.workflow_helpers import (
    CLAIM_ONLY,
    actions,
    deadline,
    routed,
    sleep_until,
    snapshot,
    ticket_running,
)
from workflows.ticket import TicketWorkflow

Stage = DeadlineStage
# Verification (3 working days) is the deadline to watch; the handling limit stays out of the way.
LONG_HANDLING = DeadlinePolicy(
    rules=[*DEFAULT_RULES, PolicyRule(stage=Stage.HANDLE, amount=60, unit=Unit.WORKING_DAYS)]
)
APPROVE = ExtensionDecisionInput(actor=CHEN, action=Action.APPROVE_EXTENSION, reason="ok")
REFUSE = ExtensionDecisionInput(actor=CHEN, action=Action.REFUSE_EXTENSION, reason="no")


Request = TypeVar("Request")


async def refused(
    handle: WorkflowHandle[TicketWorkflow, Any],
    update: UpdateMethodMultiParam[[TicketWorkflow, Request], Any],
    request: Request,
) -> tuple[str | None, str]:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, request)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.type, cause.message


async def test_approved_extension_moves_the_running_deadline(ts_env, db, calendar) -> None:
    async with ticket_running(ts_env, db, policy=LONG_HANDLING) as handle:
        await routed(handle)
        await handle.execute_update(TicketWorkflow.claim, ClaimInput(actor=CGJ))
        verify = deadline(await snapshot(handle), Stage.VERIFY)
        ask = RequestExtensionInput(actor=CGJ, working_days=5, reason="需要吊车 needs a crane")
        t = await handle.execute_update(TicketWorkflow.request_extension, ask)
        assert t.extension_request is not None
        assert t.extension_request.stage == Stage.VERIFY and t.extension_request.working_days == 5
        assert (await refused(handle, TicketWorkflow.request_extension, ask))[0] == "conflict"
        t = await handle.execute_update(TicketWorkflow.decide_extension, APPROVE)
        moved = deadline(t, Stage.VERIFY)
        assert moved.due_at == calendar.add(verify.due_at, 5, Unit.WORKING_DAYS)
        assert moved.extended_working_days == 5 and t.extension_count == 1
        assert t.extension_request is None
        assert [w.at for w in moved.warnings] == [
            calendar.fraction_point(moved.started_at, moved.due_at, f, moved.unit)
            for f in (0.5, 0.8)
        ]
        await sleep_until(ts_env, verify.due_at)
        assert not (await snapshot(handle)).overdue  # the old due date passed quietly
        await sleep_until(ts_env, moved.due_at)
        t = await snapshot(handle)
    assert t.overdue and t.breaches[0].stage == Stage.VERIFY
    assert actions(t).count("approve_extension") == 1


async def test_refused_late_and_over_cap_extensions(ts_env, db) -> None:
    async with ticket_running(ts_env, db, policy=CLAIM_ONLY) as handle:
        await routed(handle)
        ask = RequestExtensionInput(actor=CGJ, working_days=3, reason="rain")
        await handle.execute_update(TicketWorkflow.request_extension, ask)
        t = await handle.execute_update(TicketWorkflow.decide_extension, REFUSE)
        assert t.extension_request is None and t.extension_count == 0
        assert deadline(t, Stage.CLAIM).extended_working_days == 0
        assert (await refused(handle, TicketWorkflow.decide_extension, APPROVE))[0] == "conflict"
        too_much = RequestExtensionInput(actor=CGJ, working_days=11, reason="winter")
        kind, message = await refused(handle, TicketWorkflow.request_extension, too_much)
        assert kind == "invalid" and "cap is 10" in message
        assert (
            await refused(
                handle,
                TicketWorkflow.decide_extension,
                ExtensionDecisionInput(actor=CGJ, action=Action.APPROVE_EXTENSION),
            )
        )[0] == "forbidden"
        await sleep_until(ts_env, deadline(t, Stage.CLAIM).due_at)
        kind, message = await refused(handle, TicketWorkflow.request_extension, ask)
        t = await snapshot(handle)
    assert kind == "conflict" and "too late" in message and "before the deadline" in message
    assert actions(t).count("request_extension") == 1 and actions(t).count("refuse_extension") == 1


async def test_parking_stops_the_clock_until_the_review_date(ts_env, db, calendar) -> None:
    async with ticket_running(ts_env, db, policy=CLAIM_ONLY) as handle:
        await routed(handle)
        claim = deadline(await snapshot(handle), Stage.CLAIM)
        now = await ts_env.get_current_time()
        review_at = now + timedelta(days=20)
        ask = RequestParkingInput(
            actor=CGJ, reason="冬季无法施工 frozen ground", review_at=review_at
        )
        await handle.execute_update(TicketWorkflow.request_parking, ask)
        t = await handle.execute_update(
            TicketWorkflow.decide_parking,
            ParkingDecisionInput(actor=CHEN, action=Action.APPROVE_PARKING),
        )
        assert t.parking is not None
        parked_at = t.parking.parked_at
        assert t.parking.review_at == review_at and deadline(t, Stage.CLAIM).paused_at == parked_at
        kind, _ = await refused(handle, TicketWorkflow.claim, ClaimInput(actor=CGJ))
        assert kind == "conflict"
        await sleep_until(ts_env, claim.due_at + timedelta(days=5))
        t = await snapshot(handle)
        assert not t.overdue and t.parking is not None  # the clock stood still
        await sleep_until(ts_env, review_at)
        t = await snapshot(handle)
    assert t.parking is None and actions(t)[-1] == "unpark"
    unparked = t.events[-1]
    assert unparked.reason is not None
    assert unparked.actor_id == "system" and "review date" in unparked.reason
    back = deadline(t, Stage.CLAIM)
    assert back.paused_at is None
    assert back.due_at == calendar.shift(claim.due_at, parked_at, unparked.at, Unit.WORKING_DAYS)
    assert calendar.working_time_between(unparked.at, back.due_at) == calendar.working_time_between(
        parked_at, claim.due_at
    )


async def test_supervisor_unparks_early_and_refusals(ts_env, db) -> None:
    async with ticket_running(ts_env, db, policy=CLAIM_ONLY) as handle:
        await routed(handle)
        now = await ts_env.get_current_time()
        past = RequestParkingInput(actor=CGJ, reason="x", review_at=now - timedelta(hours=1))
        assert (await refused(handle, TicketWorkflow.request_parking, past))[0] == "invalid"
        assert (await refused(handle, TicketWorkflow.unpark, UnparkInput(actor=CHEN)))[
            0
        ] == "conflict"
        ask = RequestParkingInput(
            actor=CGJ, reason="汛期 flood season", review_at=now + timedelta(days=60)
        )
        await handle.execute_update(TicketWorkflow.request_parking, ask)
        refuse = ParkingDecisionInput(actor=CHEN, action=Action.REFUSE_PARKING, reason="do it now")
        t = await handle.execute_update(TicketWorkflow.decide_parking, refuse)
        assert t.parking is None and t.parking_request is None
        await handle.execute_update(TicketWorkflow.request_parking, ask)
        await handle.execute_update(
            TicketWorkflow.decide_parking,
            ParkingDecisionInput(actor=CHEN, action=Action.APPROVE_PARKING),
        )
        await ts_env.sleep(timedelta(days=2))
        assert (await refused(handle, TicketWorkflow.unpark, UnparkInput(actor=CGJ)))[
            0
        ] == "forbidden"
        t = await handle.execute_update(
            TicketWorkflow.unpark, UnparkInput(actor=CHEN, note="天晴了")
        )
        assert t.parking is None and t.events[-1].actor_id == "chen"
        t = await handle.execute_update(TicketWorkflow.claim, ClaimInput(actor=CGJ))
    assert t.status == "claimed"
    assert actions(t)[-5:] == [
        "refuse_parking",
        "request_parking",
        "approve_parking",
        "unpark",
        "claim",
    ]
