"""Open311 records from the read model: the service list (the category catalogue), a service's
definition, and service requests (tickets) as the public may see them (domain/open311.py)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import tickets_service
from api.open311.format import iso
from api.paging import Paging
from domain.areas import units_of
from domain.models import Deadline
from domain.open311 import expected_at, progress, public_status, status_note
from domain.states import TicketStatus, Urgency
from readmodel.reference.tables import AreaRow, Category, Department, Grid
from readmodel.tickets.projection import ticket_values
from readmodel.tickets.tables import TicketEventRow, TicketRow

SPEC = "http://wiki.open311.org/GeoReport_v2"
_DEADLINES = TypeAdapter(list[Deadline])


def service_record(row: Category) -> dict[str, Any]:
    return {
        "service_code": row.code,
        "service_name": row.name_zh,
        "description": f"{row.name_en} ({row.class_name_en})",
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(k for k in (row.name_en, row.class_name_zh, row.class_code) if k),
        "group": row.class_name_zh or row.class_code,
    }


async def services(*, session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.exec(select(Category).order_by(col(Category.code)))).all()
    return [service_record(row) for row in rows]


def definition(row: Category) -> dict[str, Any]:
    """The attributes a POST may carry as attribute[code]=value."""
    urgency = {
        "variable": True,
        "code": "urgency",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 1,
        "datatype_description": f"default for this service: {row.urgency}",
        "description": "urgent reports run on natural hours, day and night",
        "values": [{"key": u.value, "name": u.value} for u in Urgency],
    }
    subject = {
        "variable": True,
        "code": "subject_code",
        "datatype": "string",
        "required": False,
        "order": 2,
        "datatype_description": "a registered subject's code, e.g. SS-0001",
        "description": "the shop, school or building the report concerns",
        "values": [],
    }
    return {"service_code": row.code, "attributes": [urgency, subject]}


@dataclass
class Names:
    """Display names of the reference rows a request record names (small tables)."""

    departments: dict[str, str]
    categories: dict[str, str]
    places: dict[str, str]  # grid, community, street and district codes

    @classmethod
    async def load(cls, session: AsyncSession) -> "Names":
        departments = {d.code: d.name for d in (await session.exec(select(Department))).all()}
        categories = {c.code: c.name_zh for c in (await session.exec(select(Category))).all()}
        places = {a.code: a.name for a in (await session.exec(select(AreaRow))).all()}
        places |= {g.code: g.name for g in (await session.exec(select(Grid))).all()}
        return cls(departments=departments, categories=categories, places=places)

    def address(self, grid: str) -> str:
        """Most specific part first, as the spec asks: grid, community, street, district."""
        return ", ".join(self.places[c] for c in units_of(grid) if c in self.places)


def request_record(row: TicketRow, names: Names) -> dict[str, Any]:
    status = TicketStatus(row.status)
    snapshot = row.snapshot
    deadlines = _DEADLINES.validate_python(snapshot.get("deadlines", []))
    closed = public_status(status) == "closed"
    return {
        "service_request_id": row.ticket_id,
        "status": public_status(status),
        "status_notes": status_note(
            status,
            merged_into=snapshot.get("merged_into"),
            cancelled=snapshot.get("cancel_kind") is not None,
            parked=row.parked,
        ),
        "service_name": names.categories.get(row.category, row.category),
        "service_code": row.category,
        "agency_responsible": names.departments.get(row.department) if row.department else None,
        "service_notice": None,
        "requested_datetime": iso(row.submitted_at),
        "updated_datetime": iso(row.closed_at if closed and row.closed_at else row.updated_at),
        "expected_datetime": iso(expected_at(status, deadlines)),
        "address": names.address(row.grid),
        "address_id": row.grid,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lon,
        "media_url": None,
    }


async def notes_of(*, session: AsyncSession, rows: list[TicketRow]) -> dict[str, list[Any]]:
    """Each ticket's update history (`extensions=true`): when it entered each status, in words."""
    if not rows:
        return {}
    events = (
        await session.exec(
            select(TicketEventRow)
            .where(
                col(TicketEventRow.ticket_id).in_([r.ticket_id for r in rows]),
                col(TicketEventRow.from_status).is_distinct_from(TicketEventRow.to_status),
            )
            .order_by(col(TicketEventRow.ticket_id), col(TicketEventRow.seq))
        )
    ).all()
    changes: dict[str, list[tuple[datetime, TicketStatus]]] = {r.ticket_id: [] for r in rows}
    for event in events:
        changes[event.ticket_id].append((event.at, TicketStatus(event.to_status)))
    merged = {r.ticket_id: r.snapshot.get("merged_into") for r in rows}
    return {
        ticket_id: _notes(found, merged_into=merged[ticket_id])
        for ticket_id, found in changes.items()
    }


def _notes(changes: list[tuple[datetime, TicketStatus]], *, merged_into: str | None) -> list[Any]:
    return [
        {"datetime": iso(at), "description": words, "type": "status"}
        for at, words in progress(changes, merged_into=merged_into)
    ]


FIRST_PAGE = Paging(limit=1000, offset=0)  # GeoReport's default page


@dataclass
class RequestQuery:
    ids: list[str] | None = None  # overrides every other filter
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] | None = None  # open / closed
    paging: Paging = FIRST_PAGE
    extensions: bool = False  # each record's update history (`notes`)


async def service_requests(*, session: AsyncSession, query: RequestQuery) -> list[dict[str, Any]]:
    """Newest first; by ids, or by service, submission time and status."""
    select_rows = select(TicketRow)
    if query.ids is not None:
        select_rows = select_rows.where(col(TicketRow.ticket_id).in_(query.ids))
    else:
        if query.service_codes:
            select_rows = select_rows.where(col(TicketRow.category).in_(query.service_codes))
        if query.start is not None:
            select_rows = select_rows.where(TicketRow.submitted_at >= query.start)
        if query.end is not None:
            select_rows = select_rows.where(TicketRow.submitted_at <= query.end)
        if query.statuses and len(set(query.statuses)) == 1:
            select_rows = select_rows.where(TicketRow.is_open == (query.statuses[0] == "open"))
    select_rows = (
        select_rows.order_by(col(TicketRow.submitted_at).desc(), col(TicketRow.ticket_id))
        .offset(query.paging.offset)
        .limit(query.paging.limit)
    )
    rows = list((await session.exec(select_rows)).all())
    return await _records(session, rows, extensions=query.extensions)


async def service_request(
    *, session: AsyncSession, client: Client, ticket_id: str, extensions: bool = False
) -> dict[str, Any] | None:
    """One request, read as /api/v1 reads a ticket (tickets_service.read_snapshot): a report
    acknowledged a moment ago is there before the projection has caught up. The record is made
    from the row the projection writes (or will write) for it."""
    found = await tickets_service.read_snapshot(session=session, client=client, ticket_id=ticket_id)
    if found is None:
        return None
    snapshot, _source = found
    record = request_record(TicketRow(**ticket_values(snapshot)), await Names.load(session))
    if extensions:
        # Before a worker has run it, a ticket has no events yet: it entered only its status.
        changes = [
            (e.at, e.to_status) for e in snapshot.events if e.from_status != e.to_status
        ] or [(snapshot.submitted_at, snapshot.status)]
        record["notes"] = _notes(changes, merged_into=snapshot.merged_into)
    return record


async def _records(
    session: AsyncSession, rows: list[TicketRow], *, extensions: bool
) -> list[dict[str, Any]]:
    names = await Names.load(session)
    records = [request_record(row, names) for row in rows]
    if extensions:
        notes = await notes_of(session=session, rows=rows)
        for record in records:
            record["notes"] = notes[record["service_request_id"]]
    return records
