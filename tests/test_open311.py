"""The Open311 GeoReport v2 facade, end to end on the dev server: an Open311 client discovers the
services, a sensor gateway reports with its api_key, the public follows the ticket to closed in
JSON and XML, and every refusal is the spec's error list, changing nothing."""

import uuid
from typing import Any
from xml.etree import ElementTree as ET

import httpx
from sqlalchemy import func
from sqlmodel import select

from readmodel.access.audit import AuditEntry
from readmodel.tickets.tables import TicketRow
from tests.api_fixtures import SENSOR, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.factories import GARBAGE, LAT, LON, MANHOLE
from tests.test_api_lifecycle import wait_for_status

V2 = "/open311/v2"
SECRET_TEXT = "井盖位移报警 张先生 13800000000"


async def report(gf: Gridflow, fmt: str = "json", **fields: Any) -> httpx.Response:
    form = {
        "api_key": SENSOR,
        "service_code": MANHOLE,
        "lat": str(LAT),
        "long": str(LON),
        "device_id": f"MH-{uuid.uuid4().hex[:8]}",
        "description": SECRET_TEXT,
    } | fields
    return await gf.http.post(
        f"{V2}/requests.{fmt}", data={k: v for k, v in form.items() if v is not None}
    )


async def tickets(gf: Gridflow) -> int:
    async with gf.db.session() as session:
        return (await session.exec(select(func.count()).select_from(TicketRow))).one()


def errors(response: httpx.Response) -> list[dict[str, Any]]:
    body = response.json()
    assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}, body
    assert body[0]["code"] == response.status_code
    return body


async def test_discovery_and_services_in_json_and_xml(gf: Gridflow) -> None:
    discovery = (await gf.http.get(f"{V2}/discovery.json")).json()
    assert discovery["endpoints"][0]["url"] == "http://gridflow.test/open311/v2"
    assert "application/json" in discovery["endpoints"][0]["formats"]
    services = (await gf.http.get(f"{V2}/services.json")).json()
    garbage = next(s for s in services if s["service_code"] == GARBAGE)
    assert garbage["service_name"] == "暴露垃圾" and garbage["type"] == "realtime"
    assert garbage["metadata"] is True and garbage["group"]
    xml = await gf.http.get(f"{V2}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    assert xml.headers["access-control-allow-origin"] == "*"  # any city's status page may read
    root = ET.fromstring(xml.content)
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        s["service_code"] for s in services
    ]
    definition = ET.fromstring((await gf.http.get(f"{V2}/services/{GARBAGE}.xml")).content)
    urgency = definition.find("attributes/attribute[code='urgency']")
    assert urgency is not None and urgency.findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in urgency.findall("values/value")] == ["normal", "urgent"]


async def test_unknown_things_are_404_in_the_specs_error_shape(gf: Gridflow) -> None:
    unknown_service = await gf.http.get(f"{V2}/services/E9999.json")
    assert unknown_service.status_code == 404
    assert unknown_service.headers["access-control-allow-origin"] == "*"
    assert "E9999" in errors(unknown_service)[0]["description"]
    as_xml = await gf.http.get(f"{V2}/requests/GF-NOSUCHTICKET.xml")
    assert as_xml.status_code == 404
    error = ET.fromstring(as_xml.content).find("error")
    assert error is not None and error.findtext("code") == "404"
    elsewhere = await gf.http.get(f"{V2}/services.json", params={"jurisdiction_id": "sf.gov"})
    assert elsewhere.status_code == 404 and "sf.gov" in errors(elsewhere)[0]["description"]


async def test_a_sensor_reports_and_the_public_follows_it_to_closed(gf: Gridflow) -> None:
    device = f"MH-{uuid.uuid4().hex[:8]}"
    created = await report(gf, device_id=device)
    assert created.status_code == 201, created.text
    assert "access-control-allow-origin" not in created.headers  # keys stay out of pages
    [receipt] = created.json()
    ticket_id = receipt["service_request_id"]
    await wait_for_status(gf, ticket_id, "dispatched")
    repeat = await report(gf, device_id=device)
    assert repeat.status_code == 200 and repeat.json()[0]["service_request_id"] == ticket_id

    public = await gf.http.get(f"{V2}/requests/{ticket_id}.json")
    [record] = public.json()
    assert record["status"] == "open" and record["service_code"] == MANHOLE
    assert record["agency_responsible"].startswith("区城管局")
    assert record["status_notes"] == "sent to the department responsible"
    assert (
        record["address"].endswith("西湖区")
        and record["address_id"] == (await gf.ticket(ticket_id))["grid"]
    )
    assert record["requested_datetime"].endswith("Z") and record["expected_datetime"]
    # Nothing a reporter wrote, nor who they are, reaches the public.
    assert "井盖位移" not in public.text and "张先生" not in public.text
    assert "13800000000" not in public.text
    assert "description" not in record and device not in public.text

    await gf.act(ticket_id, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "test"})
    await wait_for_status(gf, ticket_id, "archived")
    closed = ET.fromstring((await gf.http.get(f"{V2}/requests/{ticket_id}.xml")).content)
    request = closed.find("request")
    assert request is not None and request.findtext("status") == "closed"
    assert request.findtext("status_notes", "").startswith("closed without action")
    assert request.findtext("expected_datetime") == ""
    # The update history (the notes extension): each status once, in words, oldest first.
    history = (
        await gf.http.get(f"{V2}/requests/{ticket_id}.json", params={"extensions": "true"})
    ).json()[0]["notes"]
    assert [n["description"] for n in history] == [
        "received; being sent to the department responsible",
        "sent to the department responsible",
        "closed without action: not a problem the city handles here",
    ]
    assert all(n["type"] == "status" and n["datetime"].endswith("Z") for n in history)
    assert history[0]["datetime"] <= history[1]["datetime"] <= history[2]["datetime"]
    as_xml = ET.fromstring(
        (
            await gf.http.get(
                f"{V2}/requests.xml", params={"service_request_id": ticket_id, "extensions": "true"}
            )
        ).content
    )
    assert [n.findtext("description") for n in as_xml.findall("request/notes/note")] == [
        n["description"] for n in history
    ]
    assert "notes" not in (await gf.http.get(f"{V2}/requests/{ticket_id}.json")).json()[0]

    async with gf.db.session() as session:
        audit = (
            await session.exec(
                select(AuditEntry).where(
                    AuditEntry.route == "/open311/v2/requests.{fmt}",
                    AuditEntry.ticket_id == ticket_id,
                )
            )
        ).all()
    answered = [(a.actor_id, a.auth, a.status) for a in audit if a.outcome != "pending"]
    assert answered == [("gateway", "api_key", 201), ("gateway", "api_key", 200)]
    # The first reading was sent to Temporal, so its intent came first; the repeat, folded into
    # the open ticket without a signal, asked nothing (docs/audit.md).
    assert [a.status for a in audit if a.outcome == "pending"] == [0]


async def test_a_report_is_readable_the_moment_it_is_acknowledged(gf: Gridflow) -> None:
    """Read-your-writes, as on /api/v1: a GET right after the 201 answers 200 with the ticket
    as it is, from the workflow while the projection has not caught up."""
    for n in range(20):
        created = await report(gf, fmt="json")
        assert created.status_code == 201, created.text
        ticket_id = created.json()[0]["service_request_id"]
        extensions = {"extensions": "true"} if n % 2 else {}
        read = await gf.http.get(f"{V2}/requests/{ticket_id}.json", params=extensions)
        assert read.status_code == 200, (n, read.text)
        [record] = read.json()
        assert (record["service_request_id"], record["status"], record["service_code"]) == (
            ticket_id,
            "open",
            MANHOLE,
        ), record
        assert record["address_id"] and record["requested_datetime"].endswith("Z")
        assert "井盖位移" not in read.text and "description" not in record
        if extensions:
            assert (
                record["notes"][0]["description"]
                == "received; being sent to the department responsible"
            )
    receipt = (await report(gf)).json()[0]
    as_xml = await gf.http.get(f"{V2}/requests/{receipt['service_request_id']}.xml")
    assert as_xml.status_code == 200, as_xml.text
    request = ET.fromstring(as_xml.content).find("request")
    assert request is not None and request.findtext("status") == "open"
    # Only tickets are read from their workflow: a subject's running workflow is not one.
    blacked = await gf.call(
        "POST", "/subjects/SS-0001/black", SUPERVISOR, json={"reason": "shut_down"}
    )
    assert blacked.status_code == 200, blacked.text
    subject = gf.client.get_workflow_handle("subject-SS-0001")
    before = (await subject.fetch_history()).events
    assert (await gf.http.get(f"{V2}/requests/subject-SS-0001.json")).status_code == 404
    assert (await subject.fetch_history()).events == before


async def test_bad_reports_are_refused_and_change_nothing(gf: Gridflow) -> None:
    refusals = {
        "no key": (await report(gf, api_key=None), 403),
        "bad key": (await report(gf, api_key="not-a-key"), 403),
        "no service": (await report(gf, service_code=None), 400),
        "unknown service": (await report(gf, service_code="C9999"), 404),
        "no place": (await report(gf, lat=None, address_string="西湖区北山街道"), 400),
        "not a number": (await report(gf, long="east"), 400),
        "outside the city": (await report(gf, lat="31.9", long="118.8"), 400),
        "no device": (await report(gf, device_id=None), 400),
        "bad urgency": (await report(gf, **{"attribute[urgency]": "now"}), 400),
        "too long": (await report(gf, description="x" * 4001), 400),
        "other city": (await report(gf, jurisdiction_id="sf.gov"), 404),
    }
    for name, (response, status) in refusals.items():
        assert response.status_code == status, (name, response.text)
        assert errors(response), name
    assert "lat and long" in refusals["no place"][0].json()[0]["description"]
    assert "device_id" in refusals["no device"][0].json()[0]["description"]
    assert "long" in refusals["not a number"][0].json()[0]["description"]
    assert await tickets(gf) == 0
    xml = await report(gf, fmt="xml", api_key=None)
    assert xml.status_code == 403 and ET.fromstring(xml.content).tag == "errors"


async def test_people_report_from_the_app_not_through_open311(gf: Gridflow) -> None:
    """A person's bearer token is not an api_key: Open311 reports are for machine clients."""
    headers = await gf.headers(WANG)
    response = await gf.http.post(
        f"{V2}/requests.json",
        headers=headers,
        data={"service_code": GARBAGE, "lat": str(LAT), "long": str(LON)},
    )
    assert response.status_code == 403 and await tickets(gf) == 0


async def test_listing_filters_by_service_status_date_and_id(gf: Gridflow) -> None:
    manhole = (await report(gf)).json()[0]["service_request_id"]
    garbage = (await report(gf, service_code=GARBAGE)).json()[0]["service_request_id"]
    closed = (await report(gf)).json()[0]["service_request_id"]
    for ticket_id in (manhole, garbage, closed):
        await wait_for_status(gf, ticket_id, "dispatched")
    await gf.act(closed, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "test"})
    await wait_for_status(gf, closed, "archived")

    async def ids(**params: str) -> list[str]:
        response = await gf.http.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert await ids() == [closed, garbage, manhole]  # newest first
    assert await ids(status="open") == [garbage, manhole]
    assert await ids(status="closed") == [closed]
    assert await ids(service_code=GARBAGE) == [garbage]
    assert await ids(service_code=f"{GARBAGE},{MANHOLE}", status="open") == [garbage, manhole]
    assert await ids(service_request_id=f"{manhole},{closed}") == [closed, manhole]
    assert await ids(page_size="2") == [closed, garbage]
    assert await ids(page_size="2", page="2") == [manhole]
    assert await ids(start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00+08:00") == []
    listed = await gf.http.get(f"{V2}/requests.xml", params={"status": "open"})
    xml = ET.fromstring(listed.content)
    assert [r.findtext("service_request_id") for r in xml.findall("request")] == [garbage, manhole]

    for params in (
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "2026-01-01"},
        {"end_date": "yesterday"},
        {"status": "pending"},
        {"page_size": "5000"},
        {"page": "0"},
    ):
        response = await gf.http.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 400, (params, response.text)
        assert errors(response)
