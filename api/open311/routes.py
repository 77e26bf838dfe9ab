"""Open311 GeoReport v2 (docs/open311.md): keyless reads of the catalogue and of tickets as the
public may see them, and reports from machine clients holding an API key."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError

from api.deps import SessionDep, SettingsDep, TemporalClient, caller_of_key
from api.errors import ApiError
from api.intake import NO_KEY, accept_report
from api.open311 import docs, service
from api.open311.format import PREFIX, Fmt, render
from api.paging import Open311Paging
from api.place import GridIndexDep
from api.ratelimit import incident_intake, key_id_of
from api.schemas import IncidentCreate
from domain.states import Role
from readmodel.access.tables import User
from readmodel.reference import catalogue_store

router = APIRouter(prefix=PREFIX, tags=["open311"])
Jurisdiction = Annotated[str | None, Query(max_length=200, description="optional: one city")]
Extensions = Annotated[bool, Query(description="true: each request's update history (`notes`)")]
MAX_DAYS = 90  # the spec's widest start_date..end_date
MAX_IDS = 1000


def _check_jurisdiction(config: Any, jurisdiction_id: str | None) -> None:
    if jurisdiction_id is not None and jurisdiction_id != config.open311_jurisdiction_id:
        raise ApiError(
            404,
            f"unknown jurisdiction_id '{jurisdiction_id}'; this endpoint serves "
            f"'{config.open311_jurisdiction_id}'",
        )


@router.get("/discovery.{fmt}", responses=docs.answers(docs.Discovery, 400))
async def discovery(fmt: Fmt, request: Request, config: SettingsDep) -> Response:
    """Service discovery: where this GeoReport v2 endpoint is and what it speaks."""
    changeset = "2026-11-25T00:00:00Z"
    url = str(request.base_url).rstrip("/") + PREFIX
    return render(
        fmt,
        "discovery",
        {
            "changeset": changeset,
            "contact": config.open311_contact,
            "key_service": "API keys for machine clients are issued by an admin "
            "(POST /api/v1/admin/api-keys); reading needs no key",
            "endpoints": [
                {
                    "specification": service.SPEC,
                    "url": url,
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@router.get("/services.{fmt}", responses=docs.answers(docs.Services, 400, 404))
async def services(
    fmt: Fmt, session: SessionDep, config: SettingsDep, jurisdiction_id: Jurisdiction = None
) -> Response:
    """The service list: every sub-class of the category catalogue."""
    _check_jurisdiction(config, jurisdiction_id)
    return render(fmt, "services", await service.services(session=session))


@router.get(
    "/services/{service_code}.{fmt}", responses=docs.answers(docs.ServiceDefinition, 400, 404)
)
async def service_definition(
    service_code: str,
    fmt: Fmt,
    session: SessionDep,
    config: SettingsDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """A service's definition: the attributes a report of it may carry."""
    _check_jurisdiction(config, jurisdiction_id)
    row = await catalogue_store.category(session=session, code=service_code)
    if row is None:
        raise ApiError(404, f"unknown service_code '{service_code}'")
    return render(fmt, "service_definition", service.definition(row))


def _dates(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """start_date..end_date (W3C, with a zone): at most 90 days; default the last 90 days."""

    def parse(name: str, value: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(
                400, f"{name}: not a W3C date-time, e.g. 2026-11-01T00:00:00+08:00"
            ) from None
        if parsed.tzinfo is None:
            raise ApiError(400, f"{name}: needs a time zone (Z or +08:00)")
        return parsed.astimezone(UTC)

    begin = parse("start_date", start) if start else None
    until = parse("end_date", end) if end else None
    if begin is None:
        if until is None:
            until = datetime.now(UTC)
        begin = until - timedelta(days=MAX_DAYS)
    elif until is None:
        until = begin + timedelta(days=MAX_DAYS)
    if until < begin:
        raise ApiError(400, "end_date is before start_date")
    if until - begin > timedelta(days=MAX_DAYS):
        raise ApiError(400, f"start_date..end_date spans more than {MAX_DAYS} days")
    return begin, until


def _codes(value: str | None, name: str) -> list[str] | None:
    if value is None:
        return None
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if not codes or len(codes) > MAX_IDS:
        raise ApiError(400, f"{name}: give 1 to {MAX_IDS} comma-separated values")
    return codes


@router.get("/requests.{fmt}", responses=docs.answers(docs.ServiceRequests, 400, 404))
async def service_requests(
    fmt: Fmt,
    session: SessionDep,
    config: SettingsDep,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[str | None, Query(max_length=20_000)] = None,
    service_code: Annotated[str | None, Query(max_length=2000)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    extensions: Extensions = False,
    *,
    paging: Open311Paging,
) -> Response:
    """Service requests, newest first: by id (overrides the rest), or by service, date, status."""
    _check_jurisdiction(config, jurisdiction_id)
    statuses = _codes(status, "status")
    if statuses and not set(statuses) <= {"open", "closed"}:
        raise ApiError(400, "status: open, closed or both (comma-separated)")
    ids = _codes(service_request_id, "service_request_id")
    begin, until = (None, None) if ids else _dates(start_date, end_date)
    query = service.RequestQuery(
        ids=ids,
        service_codes=_codes(service_code, "service_code"),
        start=begin,
        end=until,
        statuses=statuses,
        paging=paging,
        extensions=extensions,
    )
    return render(
        fmt, "service_requests", await service.service_requests(session=session, query=query)
    )


@router.get(
    "/requests/{service_request_id}.{fmt}", responses=docs.answers(docs.ServiceRequests, 400, 404)
)
async def service_request(
    service_request_id: str,
    fmt: Fmt,
    session: SessionDep,
    config: SettingsDep,
    client: TemporalClient,
    jurisdiction_id: Jurisdiction = None,
    extensions: Extensions = False,
) -> Response:
    """One service request; a report is readable the moment its receipt is answered."""
    _check_jurisdiction(config, jurisdiction_id)
    record = await service.service_request(
        session=session, client=client, ticket_id=service_request_id, extensions=extensions
    )
    if record is None:
        raise ApiError(404, f"unknown service_request_id '{service_request_id}'")
    return render(fmt, "service_requests", [record])


async def _reporter(request: Request, session: SessionDep, key: str | None) -> User:
    """The machine client an api_key (form field or X-API-Key) belongs to; the spec: 403."""
    if not key:
        raise ApiError(403, "api_key is required to report")
    user = await caller_of_key(request, session, key)  # its scopes checked here too
    if user is None:
        raise ApiError(403, "unknown or revoked api_key")
    # The same bucket as the key's reports through /api/v1/incidents (ratelimit.principal_of).
    request.state.api_key_id = key_id_of(key)
    if user.role != Role.SENSOR:
        raise ApiError(
            403,
            "only machine clients (sensor gateways) report through Open311; "
            "grid workers report from the phone app",
        )
    return user


def _form_value(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _float(form: Any, name: str) -> float:
    value = _form_value(form, name)
    if value is None:
        raise ApiError(
            400,
            "lat and long are required: reports are routed by their location "
            "(address_string and address_id are not accepted)",
        )
    try:
        return float(value)
    except ValueError:
        raise ApiError(400, f"{name}: not a number") from None


@router.post(
    "/requests.{fmt}",
    status_code=201,
    openapi_extra=docs.REPORT_FORM,
    responses={
        **docs.answers(
            docs.Receipts, 400, 403, 404, 413, 429, status=201, description="a new ticket"
        ),
        200: {
            "model": docs.Receipts,
            "content": docs.XML,
            "description": "the device's open ticket, found again",
        },
    },
)
async def create_service_request(
    fmt: Fmt,
    request: Request,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
    grids: GridIndexDep,
) -> Response:
    """Report a problem (a machine client with an api_key); a repeat of an open fault of the
    same device finds its ticket again (200)."""
    form = await request.form()
    _check_jurisdiction(config, _form_value(form, "jurisdiction_id"))
    user = await _reporter(
        request, session, _form_value(form, "api_key") or request.headers.get("x-api-key")
    )
    code = _form_value(form, "service_code")
    if code is None:
        raise ApiError(400, "service_code is required")
    category = await catalogue_store.category(session=session, code=code)
    if category is None:
        raise ApiError(404, f"unknown service_code '{code}'")
    lat, lon = _float(form, "lat"), _float(form, "long")
    await incident_intake(request, user, NO_KEY)  # the key's bucket, as for /api/v1/incidents
    try:
        body = IncidentCreate(
            category=code,
            lat=lat,
            lon=lon,
            device_id=_form_value(form, "device_id"),
            description=_form_value(form, "description") or category.name_zh,
            urgency=_form_value(form, "attribute[urgency]"),
            subject_code=_form_value(form, "attribute[subject_code]"),
        )
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in err.errors()
        )
        raise ApiError(400, problems.replace("lon:", "long:")) from None
    accepted = await accept_report(
        body=body, user=user, key=NO_KEY, session=session, client=client, config=config, grids=grids
    )
    request.state.ticket_id = accepted.ticket_id  # the audit log names the ticket
    notice = (
        "this device's fault is already reported: the report was added to that ticket"
        if accepted.replayed
        else "received; it is sent to the department responsible"
    )
    return render(
        fmt,
        "service_requests",
        [{"service_request_id": accepted.ticket_id, "service_notice": notice, "account_id": None}],
        status=200 if accepted.replayed else 201,
    )
