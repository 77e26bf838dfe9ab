"""Probable duplicates (并单) and repeated sensor readings: the pure state changes."""

import math
from datetime import datetime

from domain.actions import KeepSeparateInput, MergeInput
from domain.models import (
    SYSTEM_ACTOR,
    DuplicateCandidate,
    ReportLink,
    SensorReading,
    TicketSnapshot,
)
from domain.states import Action, DeadlineStage
from domain.transitions import close_deadlines, record

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); plenty for tens of metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def flag(t: TicketSnapshot, candidates: list[DuplicateCandidate], now: datetime) -> None:
    t.duplicate_candidates = candidates
    nearest = candidates[0]
    record(
        t,
        now=now,
        actor=SYSTEM_ACTOR,
        action=Action.FLAG_DUPLICATE,
        reason=f"probable duplicate of {nearest.ticket_id} ({nearest.distance_m:.0f} m away)",
        data={"candidates": [c.model_dump() for c in candidates]},
    )


def keep_separate(t: TicketSnapshot, request: KeepSeparateInput, now: datetime) -> None:
    record(t, now=now, actor=request.actor, action=Action.KEEP_SEPARATE, reason=request.note)


def merge(t: TicketSnapshot, request: MergeInput, now: datetime) -> None:
    close_deadlines(t, set(DeadlineStage), now, met=False)
    t.merged_into, t.closed_at = request.into, now
    record(
        t,
        now=now,
        actor=request.actor,
        action=Action.MERGE,
        reason=request.note,
        data={"into": request.into},
    )


def attach_report(t: TicketSnapshot, link: ReportLink, now: datetime) -> None:
    if any(r.ticket_id == link.ticket_id for r in t.merged_reports):
        return  # a redelivered signal
    t.merged_reports.append(link)
    record(
        t,
        now=now,
        actor=SYSTEM_ACTOR,
        action=Action.MERGED_REPORT,
        reason=f"report {link.ticket_id} merged into this ticket",
        data={"ticket_id": link.ticket_id},
    )


def sensor_reading(t: TicketSnapshot, reading: SensorReading, now: datetime) -> None:
    """Every reading after the first is on the timeline: gateways send alarms, not telemetry."""
    t.sensor_readings += 1
    if t.sensor_readings > 1:
        record(
            t,
            now=now,
            actor=SYSTEM_ACTOR,
            action=Action.SENSOR_REPEAT,
            reason=f"device {reading.device_id} reported the fault again",
            data={"readings": t.sensor_readings, "reading_at": reading.at.isoformat()},
        )
