"""The periodic reports (docs/reports.md): listed, read whole, downloaded as CSV or XLSX; run now
by an admin. Supervisors (the command centre and the streets alike: a 通报 ranks them all) and
admins read them."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AdminUser, ReportReader, SessionDep, SettingsDep, TemporalClient
from api.errors import ApiError
from api.paging import Page, PageParams
from domain.reports import REPORT_ID_PATTERN, REPORT_WORKFLOW, ReportKind, ReportRequest
from domain.reports import report_id_at as next_report_id
from readmodel.reports import export, store
from readmodel.reports.figures import ReportContent
from readmodel.reports.store import ReportSummary

router = APIRouter(tags=["reports"])

ReportId = Annotated[
    str,
    Path(
        pattern=REPORT_ID_PATTERN,
        max_length=32,
        description="daily-2026-12-07, weekly-2026-W49 or monthly-2026-11",
    ),
]


class ReportPage(Page[ReportSummary]):
    pass


class ReportRun(BaseModel):
    report_id: str  # GET /reports/{report_id} once the run has compiled it
    workflow_id: str


async def _content(session: SessionDep, report_id: str) -> ReportContent:
    content = await store.get(session=session, report_id=report_id)
    if content is None:
        raise ApiError(404, f"no report {report_id}")
    return content


def _file(content: ReportContent, body: bytes, extension: str, media_type: str) -> Response:
    name = export.filename(content, extension)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/reports", response_model=ReportPage)
async def reports(
    user: ReportReader, session: SessionDep, paging: PageParams, kind: ReportKind | None = None
) -> ReportPage:
    """Every report kept, newest period first; `kind` keeps one kind."""
    items, total = await store.listing(
        session=session,
        kind=kind.value if kind else None,
        limit=paging.limit,
        offset=paging.offset,
    )
    return ReportPage.of(items, total, paging)


@router.get(
    "/reports/{report_id}.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "one row per area and department"}
    },
)
async def report_csv(user: ReportReader, session: SessionDep, report_id: ReportId) -> Response:
    """The report's rows (district, streets, departments) as CSV, UTF-8 with a BOM for Excel."""
    content = await _content(session, report_id)
    return _file(content, export.csv_bytes(content), "csv", export.CSV_TYPE)


@router.get(
    "/reports/{report_id}.xlsx",
    response_class=Response,
    responses={200: {"content": {export.XLSX_TYPE: {}}, "description": "the report as a workbook"}},
)
async def report_xlsx(user: ReportReader, session: SessionDep, report_id: ReportId) -> Response:
    """The report as an Excel workbook: its rows, the most overdue tickets, what it covers."""
    content = await _content(session, report_id)
    return _file(content, export.xlsx_bytes(content), "xlsx", export.XLSX_TYPE)


@router.get("/reports/{report_id}", response_model=ReportContent)
async def report(user: ReportReader, session: SessionDep, report_id: ReportId) -> ReportContent:
    """One report whole: its rows per district, street and department, and the most overdue."""
    return await _content(session, report_id)


@router.post("/admin/reports/{kind}/run", status_code=202, response_model=ReportRun)
async def run_report(
    user: AdminUser, client: TemporalClient, config: SettingsDep, kind: ReportKind
) -> ReportRun:
    """Compile the report of this kind that is due now, even on a day off, and tell its
    subscribers if they have not heard of it yet; the report replaces one of the same id. Runs
    in the background: read it at GET /reports/{report_id}."""
    at = datetime.now(UTC)
    report_id = next_report_id(kind, at)
    # Two runs at once are harmless (the same row written twice, the notice once), so each has
    # an id of its own: none waits on another's worker.
    workflow_id = f"report-run-{report_id}-{uuid.uuid4().hex[:12]}"
    await client.start_workflow(
        REPORT_WORKFLOW,
        ReportRequest(kind=kind, at=at, force=True),
        id=workflow_id,
        task_queue=config.task_queue,
    )
    return ReportRun(report_id=report_id, workflow_id=workflow_id)
