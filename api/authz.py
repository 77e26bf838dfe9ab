"""Object-level authorization beyond a ticket's read rule: supervisors' areas, admin-only writes.

A supervisor oversees an area (`User.area`, a CJ/T 349 code): the district (the command centre)
or one street (9 digits). A ticket lies in the area its grid code starts with. Acting on tickets
is otherwise checked by the workflow's update validators, which know nothing of areas: the
street check happens here, before the update is sent.
"""
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import select

from api import tickets_service
from api.deps import CurrentUser, SessionDep, SupervisorUser, TemporalClient, require_role
from api.errors import ApiError
from api.ticket_path import ensure_ticket_id
from domain.states import Role
from readmodel.tables import AreaRow, TicketRow, User


def in_area(area: str, grid: str) -> bool:
    """A grid (or a street, community) lies in an area when its code starts with the area's."""
    return bool(area) and grid.startswith(area)


async def area_scope(user: User, session) -> str | None:  # type: ignore[no-untyped-def]
    """The area a supervisor's lists and aggregates are restricted to; None when it is the whole
    map (the command centre), so those queries keep their unfiltered plans."""
    require_role(user, Role.SUPERVISOR)
    if not user.area:  # fail closed: a supervisor without an area oversees nothing
        raise ApiError(403, "you have no area assigned; ask an admin to set one")
    districts = (await session.exec(
        select(AreaRow.code).where(AreaRow.level == "district"))).all()
    return None if list(districts) == [user.area] else user.area


async def supervisor_area(user: SupervisorUser, session: SessionDep) -> str | None:
    return await area_scope(user, session)


# A supervisor's list or aggregate: the area it is restricted to (None: the whole map).
SupervisorArea = Annotated[str | None, Depends(supervisor_area)]


@dataclass(frozen=True)
class NoticeScope:
    area: str | None = None  # about tickets in this area (None: anywhere)
    targets: list[str] | None = None  # addressed to one of these (None: to anyone)


async def notice_scope(user: User, session) -> NoticeScope:  # type: ignore[no-untyped-def]
    """Whose notices a caller reads: a supervisor those about their area's tickets, department
    staff those addressed to their department, a grid worker those addressed to their grids."""
    if user.role == Role.SUPERVISOR:
        return NoticeScope(area=await area_scope(user, session))
    if user.role == Role.DEPARTMENT_STAFF:
        return NoticeScope(targets=[user.department or ""])
    return NoticeScope(targets=list(user.grids))


def ensure_in_area(user: User, *, grid: str, what: str) -> None:
    """Refuse a supervisor acting on something (a ticket, a subject) outside their area."""
    if user.role == Role.SUPERVISOR and not in_area(user.area or "", grid):
        raise ApiError(403, f"{what} lies in street {grid[:9]}, outside your area "
                            f"{user.area or '(none)'}", code="outside_area", grid=grid)


def ensure_may_name_duplicate(user: User) -> None:
    """Cancelling a report as a duplicate is a supervisor's; checked before `duplicate_of` is
    looked up (who before what, as the workflow's validator does)."""
    require_role(user, Role.SUPERVISOR)


def ensure_can_read_subject(user: User, *, code: str, grid: str) -> None:
    """A subject's details (its state, history, who acted) are for those who may see its grid:
    the grid's workers, supervisors of its area, and admins, who keep the register. Everyone
    else has the sunshine lookup (/public/subjects/{code})."""
    require_role(user, Role.GRID_WORKER, Role.SUPERVISOR, Role.ADMIN)
    ensure_in_area(user, grid=grid, what=f"subject {code}")
    if user.role == Role.GRID_WORKER and grid not in user.grids:
        raise ApiError(403, f"subject {code} lies in grid {grid}, not in your grids",
                       code="outside_your_grids", grid=grid)


async def ticket_grid(*, session, client, ticket_id: str) -> str | None:  # type: ignore[no-untyped-def]
    """The ticket's grid: from the projection, else from the workflow; None if there is none."""
    row = await session.get(TicketRow, ticket_id)
    if row is not None:
        return row.grid
    try:
        return (await tickets_service.read_ticket(session=session, client=client,
                                                  ticket_id=ticket_id)).grid
    except ApiError:
        return None  # the route answers 404 for it


async def ticket_in_area(request: Request, user: CurrentUser, session: SessionDep,
                         client: TemporalClient) -> None:
    """Router dependency: a supervisor may only touch tickets in their area ({ticket_id} routes)."""
    ticket_id = request.path_params.get("ticket_id")
    if ticket_id is None:
        return
    ensure_ticket_id(ticket_id)  # before the area check asks any workflow for the grid
    if user.role != Role.SUPERVISOR:
        return
    grid = await ticket_grid(session=session, client=client, ticket_id=ticket_id)
    if grid is not None:
        ensure_in_area(user, grid=grid, what=f"ticket {ticket_id}")

