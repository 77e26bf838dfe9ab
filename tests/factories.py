"""Plain helper factories for tests."""

import uuid
from datetime import UTC, datetime

import prcoords

from domain import demo_city
from domain.contracts import TicketInput
from domain.geo import CoordSystem
from domain.models import Actor, Incident, TicketSnapshot
from domain.states import Role, Urgency

GRID = demo_city.GRIDS[1]  # a grid without local routing overrides for the categories below

# Sub-class codes (domain/demo/catalogue.py) of the categories the tests report.
GARBAGE = "E0101"  # 暴露垃圾, cgj; bs-street in GRIDS[0]
MANHOLE = "C0101"  # 井盖缺损, cgj
STREETLIGHT = "C0105"  # 路灯不亮, cgj
ILLEGAL_CONSTRUCTION = "E0301"  # 违法建设, zjj
FIRE_PASSAGE = "E0401"  # 消防通道堵塞, xfj, urgent
UNLICENSED_BUSINESS = "E0402"  # 无证经营, scjg
ROAD_DAMAGE = "C0201"  # 道路破损, jtj
ILLEGAL_AD = "E0201"  # 违规户外广告, cgj
OTHER = "E0699"  # 其他: no routing rule, the manual dispatch queue
GARBAGE_RULE = f"R-{GARBAGE}"  # the district-level rule
GARBAGE_GRID_RULE = f"R-{GARBAGE}-{demo_city.GRIDS[0].code}"  # → bs-street
LON, LAT = GRID.inside  # a point inside it (WGS-84)

WANG = Actor(user_id="wang", role=Role.GRID_WORKER, grids=[g.code for g in demo_city.GRIDS[:2]])
LI = Actor(user_id="li", role=Role.GRID_WORKER, grids=[g.code for g in demo_city.GRIDS[2:4]])
CGJ = Actor(user_id="zhao", role=Role.DEPARTMENT_STAFF, department="cgj")
ZJJ = Actor(user_id="qian", role=Role.DEPARTMENT_STAFF, department="zjj")
CHEN = Actor(user_id="chen", role=Role.SUPERVISOR)


def incident_input(
    *,
    category: str = GARBAGE,
    now: datetime | None = None,
    ticket_id: str | None = None,
    urgency: Urgency = Urgency.NORMAL,
) -> TicketInput:
    return TicketInput(
        incident=Incident(
            ticket_id=ticket_id or f"T-{uuid.uuid4().hex[:10]}",
            category=category,
            lat=LAT,
            lon=LON,
            grid=GRID.code,
            description="垃圾堆在巷口 garbage piled at the lane entrance",
            reporter=WANG,
            submitted_at=now or datetime.now(UTC),
            urgency=urgency,
        )
    )


def ticket_snapshot(
    *,
    status: str = "submitted",
    department: str | None = "cgj",
    now: datetime | None = None,
    ticket_id: str = "T-unit-0001",
) -> TicketSnapshot:
    """A bare TicketSnapshot in GRID for pure domain tests: no events, no deadlines."""
    from domain.models import initial_snapshot
    from domain.states import TicketStatus

    snap = initial_snapshot(incident_input(now=now, ticket_id=ticket_id).incident)
    snap.status = TicketStatus(status)
    snap.department = department
    return snap


def from_wgs84(*, lat: float, lon: float, system: CoordSystem) -> tuple[float, float]:
    """(lat, lon) in `system`: what a phone's map SDK shows for this GPS point (the inverse of
    domain.geo.to_wgs84; the product only ever converts the other way)."""
    if system is CoordSystem.WGS84 or not prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)):
        return lat, lon
    forward = prcoords.wgs_gcj if system is CoordSystem.GCJ02 else prcoords.wgs_bd
    shifted = forward(prcoords.Coords(lat, lon))
    return shifted.lat, shifted.lon
