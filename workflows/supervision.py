"""SupervisionOrderWorkflow: one per 督办单 (id `order-<order_id>`), from its opening to its close.

The department answers (`answer`), a supervisor closes (`close`); both are updates whose
validators refuse the wrong actor, state or input before anything is written. Unanswered at its
reply deadline the order breaches and climbs the ladder one level per interval until answered.
Calendar dates come from an activity; the workflow only sleeps towards them.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.steps import PATIENT, TIMEOUT

with workflow.unsafe.imports_passed_through():
    from domain import supervision as sv
    from domain.calendar import SHANGHAI
    from domain.notices import EventKind, NoticeEvent
    from domain.refusal import Refusal
    from domain.supervision import (
        AnswerInput,
        CloseInput,
        OpenOrder,
        OrderPlan,
        OrderState,
        OrderStatus,
        PlanOrderInput,
    )

REPLAN_EVERY = timedelta(hours=1)  # a calendar that cannot date the order yet: try again


@workflow.defn
class SupervisionOrderWorkflow:
    @workflow.init
    def __init__(self, order: OpenOrder) -> None:
        self._s = sv.opened(order)
        self._lock = asyncio.Lock()
        self._ready = False  # dated (or told it cannot be yet), projected and announced
        self._replan_at: datetime | None = None

    @workflow.run
    async def run(self, order: OpenOrder) -> OrderState:
        s = self._s
        async with self._lock:
            await self._plan()
            await self._project()
            await self._notify(EventKind.SUPERVISE, s.department)
        self._ready = True
        while s.status != OrderStatus.CLOSED:
            await self._watch_clock()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return s

    async def _watch_clock(self) -> None:
        s = self._s
        seq = s.seq
        alarm = self._next_alarm()
        if alarm is None:
            await workflow.wait_condition(lambda: s.seq != seq)
            return
        at, summary, ring = alarm
        left = at - workflow.now()
        if left > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: s.seq != seq, timeout=left, timeout_summary=summary
                )
                return
            except TimeoutError:
                pass
        async with self._lock:
            if s.seq == seq:  # nothing answered or closed it while we took the lock
                await ring()

    def _next_alarm(self) -> tuple[datetime, str, Callable[[], Awaitable[None]]] | None:
        s = self._s
        if s.status == OrderStatus.OPEN and s.reply_due_at is None and self._replan_at:
            return self._replan_at, "date the reply deadline again", self._replan
        if s.status == OrderStatus.OPEN and s.reply_due_at is not None:
            return s.reply_due_at, "reply deadline", self._breach
        climb = s.next_climb
        if climb is not None:
            at, level, _area = climb
            return at, f"escalate to the {level.name.lower()} level", self._climb
        return None

    async def _replan(self) -> None:
        await self._plan()
        await self._project()

    async def _breach(self) -> None:
        s = self._s
        sv.breach(s, workflow.now())
        await self._project()
        await self._notify(EventKind.ORDER_BREACH, s.department)

    async def _climb(self) -> None:
        s = self._s
        climb = s.next_climb
        assert climb is not None  # _next_alarm rang it
        _at, level, area = climb
        sv.climb(s, level, area, workflow.now())
        await self._project()
        await self._notify(EventKind.ORDER_ESCALATE, area, level=int(level))

    async def _plan(self) -> None:
        s = self._s
        plan: OrderPlan = await workflow.execute_local_activity(
            sv.PLAN_ORDER,
            PlanOrderInput(
                order_id=s.order_id,
                start=s.opened_at,
                reply_working_days=s.reply_working_days,
                climb_every=s.climb_every,
                climb_unit=s.climb_unit,
                climbs=len(s.ladder),
            ),
            result_type=OrderPlan,
            start_to_close_timeout=TIMEOUT,
            retry_policy=PATIENT,
            summary=f"date the reply deadline: {s.reply_working_days} working days",
        )
        now = workflow.now()
        sv.planned(s, plan, now)
        self._replan_at = now + REPLAN_EVERY if s.calendar_error else None
        if s.calendar_error:
            workflow.logger.error(
                "order cannot be dated: calendar gap", extra={"order_id": s.order_id}
            )

    async def _project(self) -> None:
        await workflow.execute_activity(
            sv.PROJECT_ORDER,
            self._s.model_copy(deep=True),
            start_to_close_timeout=TIMEOUT,
            retry_policy=PATIENT,
            summary=f"project order at seq {self._s.seq}",
        )

    async def _notify(self, kind: EventKind, target: str, level: int | None = None) -> None:
        events: list[NoticeEvent] = [sv.notice(self._s, kind, target, workflow.now(), level)]
        await workflow.execute_activity(
            sv.NOTIFY_ORDER,
            events,
            start_to_close_timeout=TIMEOUT,
            retry_policy=PATIENT,
            summary=f"{kind.value} → {target}",
        )

    @workflow.query
    def state(self) -> OrderState:
        return self._s

    @workflow.update
    async def opened(self) -> OrderState:
        """The order once dated, projected and announced: what its opener is answered."""
        await workflow.wait_condition(lambda: self._ready)
        return self._s

    @workflow.update
    async def answer(self, request: AnswerInput) -> OrderState:
        async with self._lock:
            self._check_answer(request)  # again: the clock may have moved it meanwhile
            sv.answer(self._s, request, workflow.now())
            await self._project()
            return self._s

    @answer.validator
    def _check_answer(self, request: AnswerInput) -> None:
        today = workflow.now().astimezone(SHANGHAI).date()
        _refusing(lambda: sv.check_answer(self._s, request, today))

    @workflow.update
    async def close(self, request: CloseInput) -> OrderState:
        async with self._lock:
            self._check_close(request)
            sv.close(self._s, request, workflow.now())
            await self._project()
            return self._s

    @close.validator
    def _check_close(self, request: CloseInput) -> None:
        _refusing(lambda: sv.check_close(self._s, request))


def _refusing(check: Callable[[], None]) -> None:
    try:
        check()
    except Refusal as refusal:
        raise ApplicationError(
            refusal.message, refusal.details, type=refusal.kind, non_retryable=True
        ) from None
