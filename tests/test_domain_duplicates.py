"""Duplicates and sensor repeats, pure: who may merge, distances, what merging does."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import duplicates, lifecycle
from domain.actions import ActionInput, KeepSeparateInput, MergeInput
from domain.models import Deadline, DuplicateCandidate, ReportLink, SensorReading, TicketSnapshot
from domain.refusal import Refusal
from domain.states import Action, DeadlineStage, TicketStatus
from tests.factories import CGJ, CHEN, WANG, ticket_snapshot

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def flagged() -> TicketSnapshot:
    t = ticket_snapshot(status=TicketStatus.SUBMITTED)
    duplicates.flag(t, [DuplicateCandidate(ticket_id="GF-A", distance_m=12.5)], NOW)
    return t


def test_distance_is_metres_on_the_ground() -> None:
    one_degree_lat = duplicates.distance_m(30.0, 120.0, 31.0, 120.0)
    assert 111_000 < one_degree_lat < 111_400
    assert duplicates.distance_m(30.25, 120.1, 30.25, 120.1) == 0
    east = duplicates.distance_m(30.25, 120.1, 30.25, 120.1 + 50 / (111_320 * 0.8638))
    assert 49 < east < 51


def test_flagging_puts_the_report_in_review_and_names_the_nearest() -> None:
    t = flagged()
    assert t.status == TicketStatus.DUPLICATE_REVIEW
    assert t.events[-1].action == Action.FLAG_DUPLICATE
    assert t.events[-1].reason is not None
    assert "GF-A" in t.events[-1].reason and "12 m" in t.events[-1].reason


@pytest.mark.parametrize(
    "request_", [MergeInput(actor=CHEN, into="GF-A"), KeepSeparateInput(actor=CHEN)]
)
def test_only_a_supervisor_decides_and_only_in_review(request_: ActionInput) -> None:
    lifecycle.check(request_, flagged(), NOW)
    for actor in (WANG, CGJ):
        with pytest.raises(Refusal) as refused:
            lifecycle.check(request_.model_copy(update={"actor": actor}), flagged(), NOW)
        assert refused.value.kind == "forbidden"
    with pytest.raises(Refusal) as refused:
        lifecycle.check(request_, ticket_snapshot(status=TicketStatus.DISPATCHED), NOW)
    assert refused.value.kind == "conflict"


def test_a_report_cannot_be_merged_into_itself() -> None:
    t = flagged()
    with pytest.raises(Refusal) as refused:
        lifecycle.check(MergeInput(actor=CHEN, into=t.ticket_id), t, NOW)
    assert refused.value.kind == "invalid" and refused.value.details["field"] == "into"


def test_merging_closes_the_report_and_voids_its_clock() -> None:
    t = flagged()
    t.deadlines.append(
        Deadline(stage=DeadlineStage.DISPATCH, started_at=NOW, due_at=NOW + timedelta(days=1))
    )
    duplicates.merge(t, MergeInput(actor=CHEN, into="GF-A"), NOW)
    assert t.status == TicketStatus.MERGED and t.merged_into == "GF-A" and t.closed_at == NOW
    assert [d.voided_at for d in t.deadlines] == [NOW] and t.open_deadlines == []


def test_keeping_it_separate_sends_it_on_to_routing() -> None:
    t = flagged()
    duplicates.keep_separate(t, KeepSeparateInput(actor=CHEN, note="不同"), NOW)
    assert t.status == TicketStatus.SUBMITTED and t.events[-1].action == Action.KEEP_SEPARATE


def test_an_attached_report_is_recorded_once() -> None:
    t = ticket_snapshot(status=TicketStatus.DISPATCHED)
    link = ReportLink(ticket_id="GF-B", reporter_id="li", at=NOW)
    duplicates.attach_report(t, link, NOW)
    duplicates.attach_report(t, link, NOW)  # a redelivered signal
    assert [r.ticket_id for r in t.merged_reports] == ["GF-B"]
    assert [e.action for e in t.events].count(Action.MERGED_REPORT) == 1


def test_sensor_readings_count_and_repeats_are_on_the_timeline() -> None:
    t = ticket_snapshot(status=TicketStatus.DISPATCHED)
    for _ in range(3):
        duplicates.sensor_reading(t, SensorReading(device_id="MH-1", at=NOW), NOW)
    assert t.sensor_readings == 3
    assert [e.data["readings"] for e in t.events if e.action == Action.SENSOR_REPEAT] == [2, 3]
