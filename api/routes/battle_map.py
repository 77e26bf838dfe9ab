"""The supervisors' battle map (作战图): coloured ticket dots and open tickets per grid."""

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import SessionDep, SupervisorArea
from readmodel.tickets.battle_map import BattleMap, battle_map, open_per_grid

router = APIRouter(prefix="/map", tags=["map"])


@router.get("/tickets", response_model=BattleMap)
async def map_tickets(area: SupervisorArea, session: SessionDep) -> BattleMap:
    """Open tickets and those written off today (Asia/Shanghai), each with its position
    (WGS-84) and a `colour`, the first that applies: green written off today, black escalated to
    the district (level 4), red overdue, yellow a warning fired on a running deadline, blue on
    time; `counts` per colour (supervisors: in their area)."""
    return await battle_map(session=session, now=datetime.now(UTC), area=area)


@router.get("/grid-counts", response_model=dict[str, int])
async def grid_counts(area: SupervisorArea, session: SessionDep) -> dict[str, int]:
    """{grid code: number of open tickets} for every grid of the map, 0 included (supervisors:
    the grids of their area)."""
    return await open_per_grid(session=session, area=area)
