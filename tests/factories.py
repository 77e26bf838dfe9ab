"""Plain helper factories for tests."""
import uuid
from datetime import UTC, datetime

from domain import demo_city
from domain.contracts import TicketInput
from domain.models import Actor, Incident
from domain.states import Role, Urgency

GRID = demo_city.GRIDS[1]  # a grid without local routing overrides
LON, LAT = GRID.ring[0][0] + 0.005, GRID.ring[0][1] + 0.005

WANG = Actor(user_id="wang", role=Role.GRID_WORKER, grids=[g.code for g in demo_city.GRIDS[:2]])
LI = Actor(user_id="li", role=Role.GRID_WORKER, grids=[g.code for g in demo_city.GRIDS[2:4]])
CGJ = Actor(user_id="zhao", role=Role.DEPARTMENT_STAFF, department="cgj")
ZJJ = Actor(user_id="qian", role=Role.DEPARTMENT_STAFF, department="zjj")
CHEN = Actor(user_id="chen", role=Role.SUPERVISOR)


def incident_input(*, category: str = "garbage", now: datetime | None = None,
                   ticket_id: str | None = None, urgency: Urgency = Urgency.NORMAL) -> TicketInput:
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


def ticket_snapshot(*, status: str = "submitted", department: str | None = "cgj",
                    now: datetime | None = None, ticket_id: str = "T-unit-0001"):
    """A bare TicketSnapshot in GRID for pure domain tests: no events, no deadlines."""
    from domain.models import initial_snapshot
    from domain.states import TicketStatus

    snap = initial_snapshot(incident_input(now=now, ticket_id=ticket_id).incident)
    snap.status = TicketStatus(status)
    snap.department = department
    return snap
