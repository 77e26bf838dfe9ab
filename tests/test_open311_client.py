"""An Open311 client written for other cities' endpoints (PyPI `georeport`, requests + xmltodict)
reads gridflow over real HTTP, in JSON and in XML, and gets what the spec promises it."""

import asyncio
import uuid

import pytest
from georeport import GeoReport
from requests import HTTPError

from tests.browser import Live, live  # noqa: F401  (the served app: real uvicorn, real worker)
from tests.factories import LAT, LON, MANHOLE
from tests.test_api_lifecycle import wait_for_status

SENSOR = "demo-sensor-gateway"


async def sensor_report(live: Live) -> str:
    response = await live.api.http.post(
        "/open311/v2/requests.json",
        data={
            "api_key": SENSOR,
            "service_code": MANHOLE,
            "lat": str(LAT),
            "long": str(LON),
            "device_id": f"MH-{uuid.uuid4().hex[:8]}",
        },
    )
    assert response.status_code == 201, response.text
    ticket_id = response.json()[0]["service_request_id"]
    await wait_for_status(live.api, ticket_id, "dispatched")
    return ticket_id


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_georeport_client_reads_services_and_requests(live: Live, fmt: str) -> None:
    ticket_id = await sensor_report(live)
    city = GeoReport(
        f"{live.base_url}/open311/v2",
        jurisdiction=live.config.open311_jurisdiction_id,
        output_format=fmt,
    )
    services = await asyncio.to_thread(city.get_service_list)
    assert MANHOLE in [s["service_code"] for s in services] and len(services) == 57
    definition = await asyncio.to_thread(city.get_service_definition, MANHOLE)
    assert definition["service_code"] == MANHOLE
    record = await asyncio.to_thread(city.get_service_request, ticket_id)
    if fmt == "xml":  # xmltodict gives a list of one as the element itself
        record = record[0] if isinstance(record, list) else record
    assert record["service_request_id"] == ticket_id and record["status"] == "open"
    assert record["agency_responsible"].startswith("区城管局")
    listed = await asyncio.to_thread(city.get_service_requests, status="open", service_code=MANHOLE)
    listed = listed if isinstance(listed, list) else [listed]
    assert ticket_id in [r["service_request_id"] for r in listed]

    elsewhere = GeoReport(f"{live.base_url}/open311/v2", jurisdiction="sf.gov", output_format=fmt)
    with pytest.raises(HTTPError) as refused:
        await asyncio.to_thread(elsewhere.get_service_list)
    assert refused.value.response is not None
    assert refused.value.response.status_code == 404
