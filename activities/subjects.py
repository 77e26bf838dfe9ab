"""Subject activities: tell a subject's workflow what its tickets found, and project its colour."""

from collections.abc import Awaitable, Callable

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from domain.contracts import PROJECT_SUBJECT, TELL_SUBJECT, ProjectSubjectInput
from domain.subjects import SubjectInput, SubjectNews, SubjectState
from readmodel.db import Database
from readmodel.reference import subject_store
from workflows.subject import SubjectWorkflow

log = structlog.get_logger("gridflow.subjects")


def subject_workflow_id(code: str) -> str:
    return f"subject-{code}"


async def subject_input(*, session: AsyncSession, code: str) -> SubjectInput:
    """How a resting subject's workflow starts again: from the state the read model kept."""
    row = await subject_store.get(session=session, code=code)
    if row is None:
        raise LookupError(f"no subject {code}")
    state = (
        SubjectState.model_validate(row.state)
        if row.state
        else SubjectState(code=row.code, name=row.name)
    )
    return SubjectInput(state=state, grid=row.grid)


class SubjectActivities:
    def __init__(self, *, db: Database, client: Client) -> None:
        self.db, self.client = db, client

    @activity.defn(name=TELL_SUBJECT)
    async def tell_subject(self, news: SubjectNews) -> None:
        """Signal the subject's workflow, starting it from the read model's state if it rests."""
        async with self.db.session() as session:
            start = await subject_input(session=session, code=news.subject_code)
        await self.client.start_workflow(
            SubjectWorkflow.run,
            start,
            id=subject_workflow_id(news.subject_code),
            task_queue=activity.info().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            start_signal=news.event.kind,
            start_signal_args=[news.event],
        )
        log.info(
            "subject told",
            subject=news.subject_code,
            news=news.event.kind,
            ticket_id=news.event.ticket_id,
            workflow_id=activity.info().workflow_id,
        )

    @activity.defn(name=PROJECT_SUBJECT)
    async def project_subject(self, input: ProjectSubjectInput) -> None:
        """Write the subject's colour and state; an older write never overwrites a newer one."""
        async with self.db.session() as session:
            await subject_store.project(session=session, state=input.state)

    def all(self) -> list[Callable[..., Awaitable[object]]]:
        return [self.tell_subject, self.project_subject]
