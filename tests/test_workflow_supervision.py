"""督办单 on the time-skipping server: the reply deadline and each climb on the working calendar
(a holiday and a weekend skipped), the breach and the ladder told to the right people, and an
order answered in time that never breaches."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import col, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.calendar import SHANGHAI
from domain.models import Actor
from domain.states import Role
from domain.supervision import (
    AnswerInput,
    CloseInput,
    OpenOrder,
    OrderState,
    OrderStatus,
    OrderTicket,
    workflow_id,
)
from readmodel.db import Database
from readmodel.notices.tables import NotificationDelivery
from readmodel.supervision import store
from readmodel.tickets.tables import Notification
from tests.factories import CGJ, CHEN, GRID, ZJJ
from tests.test_workflow_calendar import load_days
from tests.workflow_helpers import config_for, sleep_until
from worker import build_worker
from workflows.supervision import SupervisionOrderWorkflow

COMMUNITY, STREET, DISTRICT = GRID.code[:12], GRID.code[:9], GRID.code[:6]


@asynccontextmanager
async def order_running(
    env: WorkflowEnvironment, db: Database, *, reply_working_days: int = 2
) -> AsyncIterator[WorkflowHandle[SupervisionOrderWorkflow, OrderState]]:
    config = config_for(db)
    async with build_worker(env.client, db=db, config=config):
        order = OpenOrder(
            order_id=f"DB-{uuid.uuid4().hex[:12].upper()}",
            opened_by="chen",
            opened_at=await env.get_current_time(),
            tickets=[OrderTicket(ticket_id="GF-00000000000A", grid=GRID.code)],
            department="cgj",
            instruction="限期清运 clear it",
            reply_working_days=reply_working_days,
        )
        yield await env.client.start_workflow(
            SupervisionOrderWorkflow.run,
            order,
            id=workflow_id(order.order_id),
            task_queue=config.task_queue,
        )


async def told(db: Database, order_id: str) -> list[tuple[str, str, int | None, list[str]]]:
    """(kind, target, level, recipients in-app) of the order's notices, oldest first."""
    async with db.session() as session:
        events = (await session.exec(select(Notification).order_by(col(Notification.id)))).all()
        mine = [e for e in events if e.data.get("order_id") == order_id]
        out = []
        for e in mine:
            people = (
                await session.exec(
                    select(NotificationDelivery.recipient_id)
                    .where(col(NotificationDelivery.event_id) == e.event_id)
                    .order_by(col(NotificationDelivery.recipient_id))
                )
            ).all()
            out.append((e.kind, e.target, e.level, list(people)))
    return out


async def state(handle: WorkflowHandle) -> OrderState:
    return await handle.query(SupervisionOrderWorkflow.state)


async def test_an_unanswered_order_breaches_and_climbs_on_working_days(ts_env, db) -> None:
    # Opened on a Friday at 10:00 in Shanghai; the Monday after is a holiday.
    now = (await ts_env.get_current_time()).astimezone(SHANGHAI)
    friday = now.date() + timedelta(days=(4 - now.weekday()) % 7 + 7)
    monday, tuesday, wednesday, thursday = (friday + timedelta(days=n) for n in (3, 4, 5, 6))
    await load_days(db, holidays=[monday], workdays=[])
    await sleep_until(ts_env, datetime.combine(friday, time(10), SHANGHAI), after=timedelta(0))

    async with order_running(ts_env, db) as handle:
        opened = await handle.execute_update(SupervisionOrderWorkflow.opened)
        start = opened.opened_at  # Friday just after 10:00; working days keep the time of day
        assert start.astimezone(SHANGHAI).date() == friday

        def later(day: date) -> datetime:
            return start + (day - friday)

        assert opened.reply_due_at == later(wednesday)  # Tuesday, Wednesday: the holiday skipped
        assert opened.climbs_at == [
            later(thursday),  # community
            later(friday + timedelta(days=7)),  # street
            later(monday + timedelta(days=7)),  # district, after the weekend
        ]
        order_id = opened.order_id
        assert await told(db, order_id) == [("supervise", "cgj", None, ["zhao"])]

        await sleep_until(ts_env, datetime.combine(tuesday, time(17), SHANGHAI))
        assert (await state(handle)).status == OrderStatus.OPEN
        await sleep_until(ts_env, opened.reply_due_at)
        s = await state(handle)
        assert s.status == OrderStatus.BREACHED and s.breached_at is not None
        assert s.breached_at >= opened.reply_due_at
        # the department, and the supervisor nearest over the order's place (wu's street)
        assert (await told(db, order_id))[-1] == ("order_breach", "cgj", None, ["wu", "zhao"])

        for at, (below, level), area, supervisor in zip(
            opened.climbs_at,
            ((0, 2), (2, 3), (3, 4)),
            (COMMUNITY, STREET, DISTRICT),
            ("wu", "wu", "chen"),  # the nearest supervisors over each level's area
            strict=True,
        ):
            await sleep_until(ts_env, at - timedelta(minutes=2), after=timedelta(0))
            assert (await state(handle)).escalation_level == below
            await sleep_until(ts_env, at)
            assert (await state(handle)).escalation_level == level
            assert (await told(db, order_id))[-1] == ("order_escalate", area, level, [supervisor])
        await ts_env.sleep(timedelta(days=5))  # the ladder ends at the district
        assert len(await told(db, order_id)) == 5

        answered = await handle.execute_update(
            SupervisionOrderWorkflow.answer,
            AnswerInput(actor=CGJ, done="已清运 cleared", finish_by=thursday + timedelta(days=14)),
        )
        assert answered.status == OrderStatus.ANSWERED and answered.escalation_level == 4
        closed = await handle.execute_update(
            SupervisionOrderWorkflow.close, CloseInput(actor=CHEN, note="已落实 done")
        )
        assert closed.status == OrderStatus.CLOSED
        assert (await handle.result()).status == OrderStatus.CLOSED
    async with db.session() as session:
        row = await store.get(session=session, order_id=order_id)
    assert row is not None and (row.status, row.escalation_level) == ("closed", 4)
    assert [e["kind"] for e in row.state["events"]] == [
        "opened",
        "planned",
        "breached",
        "escalated",
        "escalated",
        "escalated",
        "answered",
        "closed",
    ]


async def refusal(handle: WorkflowHandle, request: AnswerInput) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(SupervisionOrderWorkflow.answer, request)
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_an_order_answered_in_time_never_breaches(ts_env, db) -> None:
    async with order_running(ts_env, db, reply_working_days=1) as handle:
        opened = await handle.execute_update(SupervisionOrderWorkflow.opened)
        assert opened.reply_due_at is not None
        today = (await ts_env.get_current_time()).astimezone(SHANGHAI).date()
        promise = today + timedelta(days=3)
        assert (
            await refusal(handle, AnswerInput(actor=ZJJ, done="x", finish_by=promise))
        ).type == ("forbidden")
        stranger = Actor(user_id="wang", role=Role.GRID_WORKER)
        assert (
            await refusal(handle, AnswerInput(actor=stranger, done="x", finish_by=promise))
        ).type == "forbidden"
        past = await refusal(
            handle, AnswerInput(actor=CGJ, done="x", finish_by=today - timedelta(days=1))
        )
        assert (past.type, past.details[0]) == ("invalid", {"field": "finish_by"})

        answered = await handle.execute_update(
            SupervisionOrderWorkflow.answer,
            AnswerInput(actor=CGJ, done="已到场处置 on site", finish_by=promise),
        )
        assert (answered.status, answered.answered_by, answered.promised_finish) == (
            OrderStatus.ANSWERED,
            "zhao",
            promise,
        )
        assert (
            await refusal(handle, AnswerInput(actor=CGJ, done="x", finish_by=promise))
        ).type == ("conflict")
        await sleep_until(ts_env, opened.reply_due_at + timedelta(days=7))
        s = await state(handle)
        assert (s.status, s.breached_at, s.escalation_level) == (OrderStatus.ANSWERED, None, 0)
        assert [kind for kind, *_ in await told(db, opened.order_id)] == ["supervise"]
        async with db.session() as session:
            row = await store.get(session=session, order_id=opened.order_id)
        assert row is not None and row.status == "answered" and row.promised_finish == promise
        assert isinstance(row.promised_finish, date)
