"""SubjectWorkflow: one per subject while it has anything open; its colour follows its tickets.

Started (or signalled) by a ticket's activity with signal-with-start; it rests (completes) once
the subject is white with nothing open, and the read model keeps its state until the next news.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.steps import PATIENT, TIMEOUT

with workflow.unsafe.imports_passed_through():
    from domain import subjects
    from domain.alarms import Notice
    from domain.contracts import NOTIFY, PROJECT_SUBJECT, NotifyInput, ProjectSubjectInput
    from domain.states import Role
    from domain.subjects import (
        BlackInput,
        ProblemClosed,
        ProblemFound,
        RecheckInput,
        SubjectInput,
        SubjectState,
    )


@workflow.defn
class SubjectWorkflow:
    @workflow.init
    def __init__(self, input: SubjectInput) -> None:
        self._s = input.state
        self._grid = input.grid
        self._projected = -1
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: SubjectInput) -> SubjectState:
        s = self._s
        while True:
            async with self._lock:
                while s.seq != self._projected:  # signals may arrive while a write is under way
                    await self._project()
            if s.settled and s.seq == self._projected:
                break
            seq = s.seq
            if s.observation_until is not None:
                left = s.observation_until - workflow.now()
                if left > timedelta(0):
                    try:
                        await workflow.wait_condition(
                            lambda: s.seq != seq,  # noqa: B023  (awaited in this iteration)
                            timeout=left,
                            timeout_summary="observation period",
                        )
                        continue
                    except TimeoutError:
                        pass
                async with self._lock:
                    if subjects.observation_over(s, workflow.now()):
                        await self._notify(Notice(kind="recheck", target=self._grid))
                continue
            await workflow.wait_condition(lambda: s.seq != seq)  # noqa: B023  (awaited in this iteration)
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(SubjectInput(state=s, grid=self._grid))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return s

    async def _project(self) -> None:
        seq = self._s.seq
        await workflow.execute_activity(
            PROJECT_SUBJECT,
            ProjectSubjectInput(state=self._s.model_copy(deep=True)),
            start_to_close_timeout=TIMEOUT,
            retry_policy=PATIENT,
            summary=f"project subject at seq {seq}",
        )
        self._projected = seq

    async def _notify(self, notice: Notice) -> None:
        await workflow.execute_activity(
            NOTIFY,
            NotifyInput(ticket_id=f"subject:{self._s.code}", seq=self._s.seq, notices=[notice]),
            start_to_close_timeout=TIMEOUT,
            retry_policy=PATIENT,
            summary=f"{notice.kind} → {notice.target}",
        )

    @workflow.query
    def state(self) -> SubjectState:
        return self._s

    @workflow.signal
    def problem_found(self, event: ProblemFound) -> None:
        subjects.problem_found(self._s, event, workflow.now())

    @workflow.signal
    def problem_closed(self, event: ProblemClosed) -> None:
        subjects.problem_closed(self._s, event, workflow.now())

    @workflow.update
    async def recheck(self, request: RecheckInput) -> SubjectState:
        async with self._lock:
            self._check_recheck(request)
            subjects.recheck(
                self._s,
                clean=request.clean,
                actor_id=request.actor_id,
                note=request.note,
                now=workflow.now(),
            )
            await self._project()
            return self._s

    @recheck.validator
    def _check_recheck(self, request: RecheckInput) -> None:
        if request.actor_role not in (Role.GRID_WORKER, Role.SUPERVISOR):
            raise ApplicationError(
                "only the grid's worker or a supervisor re-checks a subject",
                type="forbidden",
                non_retryable=True,
            )
        if request.actor_role == Role.GRID_WORKER and self._grid not in request.actor_grids:
            raise ApplicationError(
                f"subject {self._s.code} is not in your grids", type="forbidden", non_retryable=True
            )
        if not self._s.recheck_due:
            raise ApplicationError(
                f"no re-check is due for subject {self._s.code}",
                {"colour": self._s.colour.value},
                type="conflict",
                non_retryable=True,
            )

    @workflow.update
    async def set_black(self, request: BlackInput) -> SubjectState:
        async with self._lock:
            self._check_black(request)
            now = workflow.now()
            if request.reason:
                subjects.blacken(self._s, reason=request.reason, actor_id=request.actor_id, now=now)
            else:
                subjects.reinstate(self._s, actor_id=request.actor_id, note=None, now=now)
            await self._project()
            return self._s

    @set_black.validator
    def _check_black(self, request: BlackInput) -> None:
        if request.actor_role != Role.SUPERVISOR:
            raise ApplicationError(
                "only a supervisor shuts a subject down or reinstates it",
                type="forbidden",
                non_retryable=True,
            )
        if request.reason is None and self._s.black_reason is None:
            raise ApplicationError(
                f"subject {self._s.code} is not black", type="conflict", non_retryable=True
            )
