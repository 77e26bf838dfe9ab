"""Hostile input: wrong types, unknown fields, oversized or unprintable text, points off the map,
unbounded paging and decompression bombs get a 4xx naming what was wrong; markup is stored as
given. Runs on SQLite and PostgreSQL (a NUL that reached PostgreSQL would be a 500)."""

import json
import resource
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.schemas import IncidentCreate
from readmodel.db import Database
from readmodel.tickets.photo_store import PhotoRefused, process
from tests.api_fixtures import ADMIN, CGJ, SUPERVISOR, WANG, Gridflow
from tests.factories import GARBAGE
from tests.test_api_lifecycle import wait_for_status
from tests.test_api_rate_limit import limited

MARKUP = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> & "q" \'s\''


@pytest.fixture
async def gf(dev_env: WorkflowEnvironment, db: Database) -> AsyncIterator[Gridflow]:
    """Refused reports cost intake tokens too: these tests send more than a burst of them."""
    async with limited(dev_env, db, per_minute=6000, burst=1000) as running:
        yield running


def refused_fields(response: httpx.Response, status: int = 422) -> set[str]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    return {f["field"] for f in error.get("fields", [])}


BAD_REPORTS: list[tuple[dict[str, Any], str]] = [
    ({"lat": False}, "lat"),
    ({"lon": "120.1"}, "lon"),
    ({"lat": None}, "lat"),
    ({"lat": 91}, "lat"),
    ({"lon": [120.1]}, "lon"),
    ({"description": 42}, "description"),
    ({"description": "x" * 4001}, "description"),
    ({"description": " \n\t "}, "description"),
    ({"description": "bin\x00overflow"}, "description"),
    ({"description": "bell\x07"}, "description"),
    ({"category": "E0101' OR 1=1 --"}, "category"),
    ({"category": "Z9999"}, "category"),  # well-formed, unknown
    ({"urgency": "URGENT"}, "urgency"),  # enums are exact
    ({"coord_system": "WGS84"}, "coord_system"),
    ({"subject_code": "s" * 65}, "subject_code"),
    ({"photo_ids": ["p"] * 7}, "photo_ids"),
    ({"photo_ids": "abc"}, "photo_ids"),
    ({"priority": "high"}, "priority"),  # unknown fields are refused, not ignored
    ({"reporter_id": "chen"}, "reporter_id"),
]


async def test_bad_reports_are_refused_naming_the_field(gf: Gridflow) -> None:
    for change, field in BAD_REPORTS:
        response = await gf.submit(**change)
        assert field in refused_fields(response), (change, response.text)
        assert field in response.json()["error"]["message"]
    # not JSON numbers at all: Infinity and 1e999 (parsed as infinity)
    for raw in (
        '{"category": "E0101", "lat": 1e999, "lon": 120.1, "description": "x"}',
        '{"category": "E0101", "lat": NaN, "lon": 120.1, "description": "x"}',
    ):
        response = await gf.call(
            "POST",
            "/incidents",
            WANG,
            content=raw,
            headers={"Content-Type": "application/json", "Idempotency-Key": "hostile-number-0001"},
        )
        assert response.status_code == 422, response.text
    off_map = await gf.submit(lat=0.0, lon=0.0)
    assert refused_fields(off_map) == {"lat", "lon"}
    assert "outside every grid" in off_map.json()["error"]["message"]
    mine = (await gf.call("GET", "/my/tickets", WANG)).json()
    assert mine["total"] == 0  # nothing was opened by any of them


def test_integers_are_numbers_but_booleans_and_strings_are_not() -> None:
    base = {"category": GARBAGE, "description": "x"}
    report = IncidentCreate.model_validate(base | {"lat": 30, "lon": 120})
    assert (report.lat, report.lon) == (30.0, 120.0)
    for lat in (True, "30.2", "30", None):
        with pytest.raises(ValueError):
            IncidentCreate.model_validate(base | {"lat": lat, "lon": 120.1})


async def test_markup_and_any_language_are_stored_exactly_as_given(gf: Gridflow) -> None:
    text = f"{MARKUP}\n第二行 — émoji-free ✓ «quotes»\ttab"
    ticket_id = await gf.new_ticket(description=text)
    assert (await gf.ticket(ticket_id))["description"] == text
    await wait_for_status(gf, ticket_id, "dispatched")
    claimed = await gf.act(ticket_id, "claim", CGJ, {"note": MARKUP})
    assert claimed.status_code == 200, claimed.text
    returned = await gf.act(ticket_id, "return", CGJ, {"reason": MARKUP})
    assert returned.status_code == 200, returned.text
    timeline = returned.json()["timeline"]
    assert [e["data"].get("note") for e in timeline if e["action"] == "claim"] == [MARKUP]
    assert [e["reason"] for e in timeline if e["action"] == "return"] == [MARKUP]


async def test_action_bodies_are_strict(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    assert (await gf.act(ticket_id, "claim", CGJ)).status_code == 200
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "verify",
            {"outcome": "needs_rectification", "rectify_working_days": "3"},
            "rectify_working_days",
        ),
        (
            "verify",
            {"outcome": "needs_rectification", "rectify_working_days": True},
            "rectify_working_days",
        ),
        (
            "verify",
            {"outcome": "needs_rectification", "rectify_working_days": 2.5},
            "rectify_working_days",
        ),
        (
            "verify",
            {"outcome": "needs_rectification", "rectify_due_at": "2030-01-02T10:00:00"},
            "rectify_due_at",
        ),  # a time without its timezone is ambiguous
        ("verify", {"outcome": "Not_Found"}, "outcome"),
        ("verify", {"outcome": "not_found", "note": "n" * 2001}, "note"),
        ("verify", {"outcome": "not_found", "note": "\x1b[31mred"}, "note"),
        ("verify", {"outcome": "not_found", "by": "chen"}, "by"),
        ("request-extension", {"working_days": "2", "reason": "x"}, "working_days"),
        ("request-extension", {"working_days": 2, "reason": ""}, "reason"),
        ("request-parking", {"reason": "x", "review_at": "2030-01-02T10:00:00"}, "review_at"),
        ("request-parking", {"reason": "x", "review_at": "next week"}, "review_at"),
        ("return", {"reason": "r" * 2001}, "reason"),
    ]
    for action, body, field in cases:
        response = await gf.act(ticket_id, action, CGJ, body)
        assert field in refused_fields(response), (action, body, response.text)
    not_json = await gf.call(
        "POST",
        f"/tickets/{ticket_id}/verify",
        CGJ,
        content=b"\xff\xfe{",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code in (400, 422) and "error" in not_json.json()
    assert (await gf.ticket(ticket_id))["status"] == "claimed"  # none of them acted


async def test_configuration_bodies_are_strict_too(gf: Gridflow) -> None:
    nul = "bad\x00text"
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        (
            "POST",
            "/admin/subjects",
            {"code": "SS-9001", "name": nul, "kind": "shop", "grid": "33010600100102"},
            "name",
        ),
        (
            "POST",
            "/admin/subjects",
            {"code": "SS-9001", "name": "店", "kind": "  ", "grid": "33010600100102"},
            "kind",
        ),
        (
            "POST",
            "/admin/routing-rules",
            {"category": GARBAGE, "department": "cgj", "note": nul},
            "note",
        ),
        (
            "POST",
            "/admin/routing-rules",
            {"category": GARBAGE, "department": "cgj", "priority": "5"},
            "priority",
        ),
        ("PUT", f"/admin/routing-rules/R-{GARBAGE}", {"note": nul}, "note"),
        ("PUT", f"/admin/routing-rules/R-{GARBAGE}", {"priority": True}, "priority"),
        ("PUT", "/admin/calendar/2030", {"holidays": [], "workdays": [], "source": nul}, "source"),
        (
            "POST",
            "/admin/deadline-rules",
            {"stage": "claim", "amount": "1", "unit": "hours"},
            "amount",
        ),
        (
            "POST",
            "/admin/deadline-rules",
            {"stage": "claim", "amount": True, "unit": "hours"},
            "amount",
        ),
        ("POST", "/admin/api-keys", {"user_id": "gateway", "label": nul}, "label"),
    ]
    for method, url, body, field in cases:
        response = await gf.call(method, url, ADMIN, json=body)
        assert field in refused_fields(response), (method, url, body, response.text)


async def test_query_parameters_are_bounded_and_parsed(gf: Gridflow) -> None:
    cases = [
        ("/tickets/overdue?limit=0", SUPERVISOR, "limit"),
        ("/tickets/overdue?limit=201", SUPERVISOR, "limit"),
        ("/tickets/overdue?limit=ten", SUPERVISOR, "limit"),
        ("/tickets/overdue?offset=-1", SUPERVISOR, "offset"),
        ("/tickets/overdue?offset=100000000000000000000000", SUPERVISOR, "offset"),
        ("/tickets/overdue?escalation_level=9", SUPERVISOR, "escalation_level"),
        ("/tickets/overdue?due_within_hours=nan", SUPERVISOR, "due_within_hours"),
        ("/my/tickets?offset=99999999999999999999", WANG, "offset"),
        ("/inbox?offset=1e3", CGJ, "offset"),
        ("/metrics/daily?from=yesterday&to=2026-01-01", SUPERVISOR, "from"),
        ("/metrics/daily?from=2026-02-30&to=2026-03-01", SUPERVISOR, "from"),
        ("/categories?q=" + "q" * 65, WANG, "q"),
    ]
    for url, token, field in cases:
        response = await gf.call("GET", url, token)
        assert field in refused_fields(response), (url, response.text)
    # a control character in any parameter, path included, whatever the route (PostgreSQL
    # refuses NUL in text: it must never get that far)
    for url, field in (
        ("/tickets/overdue?department=%00", "department"),
        ("/categories?q=bell%07", "q"),
        ("/tickets/GF-%00", "path"),
        ("/subjects/a%1Bb", "path"),
    ):
        response = await gf.call("GET", url, SUPERVISOR)
        assert field in refused_fields(response), (url, response.text)
    # text that is only odd, not invalid, is an ordinary search
    for url in ("/tickets/overdue?grid=%27%3B--", "/categories?q=%25_%5C"):
        response = await gf.call("GET", url, SUPERVISOR)
        assert response.status_code == 200, (url, response.text)


async def test_a_body_that_is_not_an_object(gf: Gridflow) -> None:
    for raw in ("[]", '"text"', "null", "1", json.dumps({"a": [[[[[[]]]]]]})):
        response = await gf.call(
            "POST",
            "/incidents",
            WANG,
            content=raw,
            headers={"Content-Type": "application/json", "Idempotency-Key": "hostile-shape-0001"},
        )
        assert response.status_code == 422, (raw, response.text)
        assert response.json()["error"]["code"] == "invalid"


async def test_a_huge_body_is_refused_before_it_is_parsed(gf: Gridflow) -> None:
    headers = {"Content-Type": "application/json", "Idempotency-Key": "hostile-size-0001"}
    huge = b'{"description": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    declared = await gf.call("POST", "/incidents", WANG, content=huge, headers=headers)
    assert declared.status_code == 413, declared.text
    assert declared.json()["error"]["code"] == "too_large"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(48):  # no Content-Length: counted as it streams in
            yield b"x" * 65536

    streamed = await gf.call(
        "POST", "/tickets/GF-000000000000/claim", CGJ, content=chunks(), headers=headers
    )
    assert streamed.status_code == 413, streamed.text


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A real PNG of width × height black pixels (1-bit): about 110 kB, 900 MB once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    bomb = png_bomb()
    assert len(bomb) < 200_000
    assert struct.unpack(">II", bomb[16:24]) == (30_000, 30_000)  # the IHDR: only its size lies
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB
    with pytest.raises(PhotoRefused) as refused:
        process(bomb)
    assert refused.value.status == 413 and "pixels" in refused.value.message
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kb < 100_000, f"peak memory grew by {grown_kb} kB"  # decoding needs 900 MB


async def test_a_decompression_bomb_upload_is_413(gf: Gridflow) -> None:
    response = await gf.call(
        "POST",
        "/photos",
        WANG,
        data={"kind": "report"},
        files={"file": ("tiny.png", png_bomb(), "image/png")},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_large"
    assert "pixels" in response.json()["error"]["message"]
