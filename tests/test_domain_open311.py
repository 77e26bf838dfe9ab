"""What Open311 shows of a ticket (domain/open311.py) and how it is written (api/open311/format)."""

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from api.open311.format import Fmt, fmt_of_path, iso, open311_status, to_xml
from domain.models import Deadline
from domain.open311 import expected_at, progress, public_status, status_note
from domain.states import OPEN_STATUSES, DeadlineStage, TicketStatus, Unit

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def deadline(stage: DeadlineStage, days: int, **kw: Any) -> Deadline:
    return Deadline(
        stage=stage,
        started_at=T0,
        due_at=T0 + timedelta(days=days),
        unit=Unit.WORKING_DAYS,
        amount=days,
        **kw,
    )


@pytest.mark.parametrize("status", list(TicketStatus))
def test_every_status_is_open_or_closed_with_a_note(status: TicketStatus) -> None:
    assert public_status(status) == ("open" if status in OPEN_STATUSES else "closed")
    assert status_note(status)


def test_an_archived_ticket_says_how_it_finished() -> None:
    assert status_note(TicketStatus.ARCHIVED) == "fixed and checked on site"
    assert status_note(TicketStatus.ARCHIVED, cancelled=True).startswith("closed without action")
    merged = status_note(TicketStatus.ARCHIVED, merged_into="GF-1", cancelled=True)
    assert merged == "closed: the same problem was already reported as GF-1"


def test_a_parked_ticket_says_it_is_on_hold_while_open_only() -> None:
    assert status_note(TicketStatus.RECTIFYING, parked=True).endswith(
        "on hold, waiting on work outside the department"
    )
    assert "on hold" not in status_note(TicketStatus.WRITTEN_OFF, parked=True)


def test_expected_is_the_live_handling_limit_while_open() -> None:
    voided = deadline(DeadlineStage.HANDLE, 2, voided_at=T0)  # returned: a new limit replaced it
    live = deadline(DeadlineStage.HANDLE, 5)
    claim = deadline(DeadlineStage.CLAIM, 1)
    assert expected_at(TicketStatus.RECTIFYING, [claim, voided, live]) == live.due_at
    assert expected_at(TicketStatus.RECTIFYING, [claim, voided]) is None
    assert expected_at(TicketStatus.SUBMITTED, []) is None
    assert expected_at(TicketStatus.WRITTEN_OFF, [live]) is None


def test_lists_become_one_element_per_item_in_xml() -> None:
    xml = to_xml(
        "service_requests",
        [{"service_request_id": "GF-1", "lat": 30.2, "zipcode": None, "metadata": True}],
    )
    root = ET.fromstring(xml)
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == "GF-1"
    assert request.findtext("lat") == "30.2" and request.findtext("zipcode") == ""
    assert request.findtext("metadata") == "true"
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    nested = ET.fromstring(
        to_xml(
            "service_definition",
            {"attributes": [{"code": "urgency", "values": [{"key": "normal"}, {"key": "urgent"}]}]},
        )
    )
    assert [v.findtext("key") for v in nested.findall("attributes/attribute/values/value")] == [
        "normal",
        "urgent",
    ]


def test_format_times_and_statuses_follow_the_spec() -> None:
    assert fmt_of_path("/open311/v2/services.json") is Fmt.JSON
    assert fmt_of_path("/open311/v2/services.xml") is Fmt.XML
    assert fmt_of_path("/open311/v2/nothing") is Fmt.XML  # the spec's default format
    assert iso(datetime(2026, 11, 25, 9, 30, tzinfo=UTC)) == "2026-11-25T09:30:00Z"
    assert iso(datetime(2026, 11, 25, 9, 30)) == "2026-11-25T09:30:00Z"  # naive: UTC
    assert iso(None) is None
    assert [open311_status(s) for s in (401, 403, 404, 409, 422, 429, 503)] == [
        403,
        403,
        404,
        400,
        400,
        429,
        503,
    ]


def test_progress_names_each_step_once_and_leaves_out_the_archive() -> None:
    steps = [
        TicketStatus.SUBMITTED,
        TicketStatus.ROUTED,
        TicketStatus.DISPATCHED,
        TicketStatus.CLAIMED,
        TicketStatus.RECTIFYING,
        TicketStatus.RESOLVED,
        TicketStatus.RECTIFYING,
        TicketStatus.RESOLVED,
        TicketStatus.WRITTEN_OFF,
        TicketStatus.ARCHIVED,
    ]
    changes = [(T0 + timedelta(hours=i), s) for i, s in enumerate(steps)]
    notes = progress(changes)
    assert [at for at, _ in notes] == [T0 + timedelta(hours=i) for i in (0, 2, 3, 4, 5, 6, 7, 8)]
    assert notes[-1][1] == "fixed and checked on site"
    assert notes[3][1] == notes[5][1] == "the department is fixing the problem"  # a rejected fix
    merged = progress([(T0, TicketStatus.SUBMITTED), (T0, TicketStatus.MERGED)], merged_into="GF-9")
    assert merged[-1][1].endswith("as GF-9")
