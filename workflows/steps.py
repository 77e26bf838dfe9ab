"""The ticket workflow's calls to its activities, each with its timeout, retries and summary."""

from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.alarms import Notice
    from domain.contracts import (
        ARCHIVE_TICKET,
        FIND_DUPLICATES,
        NOTIFY,
        PLAN_DEADLINES,
        PROJECT_TICKET,
        ROUTE_TICKET,
        SCHEDULE_DEADLINES,
        TELL_SUBJECT,
        ArchiveInput,
        ArchiveResult,
        DuplicateQuery,
        DuplicateResult,
        NotifyInput,
        PlanDeadlinesInput,
        PlanDeadlinesResult,
        ProjectInput,
        RouteInput,
        ScheduleInput,
        ScheduleRequest,
        ScheduleResult,
    )
    from domain.models import DuplicateCandidate, RoutingDecision, TicketSnapshot
    from domain.states import DeadlineStage
    from domain.subjects import ProblemClosed, ProblemFound, SubjectNews
    from workflows import search_attributes as sa

# Activities talk to the read model: retry for as long as it takes, but back off.
PATIENT = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
TIMEOUT = timedelta(seconds=30)
# Routing, deadline dating and the duplicate search only read reference data: as local
# activities they run inside the workflow task (a marker in the history) instead of two server
# round trips each — the report reaches the inbox sooner and the server does less per ticket.
# The same patch also projects an alarm before its notice and upserts only the search
# attributes that changed (workflows/core.py).
LOCAL_READS_PATCH = "local-reads"

Result = TypeVar("Result")


async def _read(
    name: str, arg: object, *, result_type: type[Result], local: bool, summary: str
) -> Result:
    # Activities are called by name (workflows do not import them), so temporalio types the
    # answer Any; the data converter decodes it into result_type.
    result: Result
    if local:
        result = await workflow.execute_local_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=TIMEOUT,
            retry_policy=PATIENT,
            summary=summary,
        )
    else:
        result = await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=TIMEOUT,
            retry_policy=PATIENT,
            summary=summary,
        )
    return result


async def route(t: TicketSnapshot, *, local: bool) -> RoutingDecision:
    return await _read(
        ROUTE_TICKET,
        RouteInput(ticket_id=t.ticket_id, category=t.category, grid=t.grid),
        result_type=RoutingDecision,
        local=local,
        summary="route by category and grid",
    )


async def schedule(
    t: TicketSnapshot, requests: list[ScheduleRequest], *, local: bool
) -> ScheduleResult:
    """Date deadlines on the working calendar; fails fast (CalendarUnknownYear) on a year it lacks."""
    what = ", ".join(f"{r.kind} {r.stage.value}" for r in requests)
    return await _read(
        SCHEDULE_DEADLINES,
        ScheduleInput(
            ticket_id=t.ticket_id, category=t.category, urgency=t.urgency, requests=requests
        ),
        result_type=ScheduleResult,
        local=local,
        summary=f"schedule deadlines: {what}",
    )


async def plan_v1(
    t: TicketSnapshot, stage: DeadlineStage, start: datetime, working_days: int | None
) -> datetime:
    """How tickets started before deadline alarms date their deadlines (kept for their replay)."""
    planned: PlanDeadlinesResult = await workflow.execute_activity(
        PLAN_DEADLINES,
        PlanDeadlinesInput(
            ticket_id=t.ticket_id,
            category=t.category,
            start=start,
            stages=[stage],
            working_days=working_days,
        ),
        result_type=PlanDeadlinesResult,
        start_to_close_timeout=TIMEOUT,
        retry_policy=PATIENT,
        summary=f"plan {stage.value} deadline",
    )
    return planned.due[stage]


async def notify(t: TicketSnapshot, notices: list[Notice]) -> None:
    if not notices:
        return
    await workflow.execute_activity(
        NOTIFY,
        NotifyInput(ticket_id=t.ticket_id, seq=t.seq, notices=notices),
        start_to_close_timeout=TIMEOUT,
        retry_policy=PATIENT,
        summary=", ".join(f"{n.kind} → {n.target}" for n in notices),
    )


async def project(t: TicketSnapshot, *, since_seq: int, chase: bool, only_changed: bool) -> None:
    current = t.current_deadline
    attributes: list[SearchAttributeUpdate[Any]] = [
        sa.TICKET_STATUS.value_set(t.status.value),
        sa.TICKET_DEPARTMENT.value_set(t.department)
        if t.department
        else sa.TICKET_DEPARTMENT.value_unset(),
        sa.TICKET_GRID.value_set(t.grid),
        sa.TICKET_CATEGORY.value_set(t.category),
        sa.TICKET_OVERDUE.value_set(t.overdue),
        sa.TICKET_DUE_AT.value_set(current.due_at) if current else sa.TICKET_DUE_AT.value_unset(),
    ]
    if chase:
        attributes.append(sa.TICKET_ESCALATION.value_set(t.escalation_level))
    if only_changed:  # each upsert is a history event and a visibility write on the server
        have = workflow.info().typed_search_attributes
        attributes = [a for a in attributes if have.get(a.key) != a.value]
    if attributes:
        workflow.upsert_search_attributes(attributes)
    await workflow.execute_activity(
        PROJECT_TICKET,
        ProjectInput(
            snapshot=t.model_copy(update={"events": []}),
            events=[e for e in t.events if e.seq > since_seq],
        ),
        start_to_close_timeout=TIMEOUT,
        retry_policy=PATIENT,
        summary=f"project ticket at seq {t.seq}",
    )


async def archive(t: TicketSnapshot) -> ArchiveResult:
    archived: ArchiveResult = await workflow.execute_activity(
        ARCHIVE_TICKET,
        ArchiveInput(snapshot=t.model_copy(deep=True)),
        result_type=ArchiveResult,
        start_to_close_timeout=TIMEOUT,
        retry_policy=PATIENT,
        summary="write the archive record",
    )
    return archived


async def tell_subject(t: TicketSnapshot, event: ProblemFound | ProblemClosed) -> None:
    assert t.subject_code is not None
    await workflow.execute_activity(
        TELL_SUBJECT,
        SubjectNews(subject_code=t.subject_code, event=event),
        start_to_close_timeout=TIMEOUT,
        retry_policy=PATIENT,
        summary=f"tell subject {t.subject_code}: {event.kind}",
    )


async def find_duplicates(t: TicketSnapshot, *, local: bool) -> list[DuplicateCandidate]:
    found = await _read(
        FIND_DUPLICATES,
        DuplicateQuery(
            ticket_id=t.ticket_id,
            category=t.category,
            lat=t.lat,
            lon=t.lon,
            submitted_at=t.submitted_at,
        ),
        result_type=DuplicateResult,
        local=local,
        summary="look for open tickets of this category nearby",
    )
    return found.candidates
