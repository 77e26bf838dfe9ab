"""Who may read and act on what, as the API decides it: every rule the routes apply beyond the
caller's role (the role types are api/deps.py's: SupervisorUser, AdminUser, …).

* **Tickets**: who may read one (`ensure_can_read`); a supervisor acts only on tickets in their
  area (`ensure_in_area`, applied to every {ticket_id} route by deps.ticket_in_area).
  Whether an actor may take an action in the ticket's state, department and grid is the
  workflow's own check (domain/lifecycle.py, run by its update validators): the API does not
  repeat it, and those rules know nothing of areas, hence the area check here.
* **Areas**: a supervisor oversees an area (`User.area`, a CJ/T 349 code): the district (the
  command centre) or one street; their lists and aggregates are restricted to it (`area_scope`).
* **Reports, notices, subjects, photos**: where a grid worker may report, whose notices a caller
  reads, who reads a subject's details, who sees a photo.

What an API key may do (its scopes, the role it was made for) is api/key_scopes.py: it narrows
the credential while the caller is being authenticated, by route template, before any of these
rules runs, and it applies to every route alike.
"""

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import tickets_service
from api.errors import ApiError
from api.schemas import TicketPublic
from domain.areas import contains, street_of
from domain.states import Role
from readmodel.access.tables import User
from readmodel.reference import map_store
from readmodel.tickets import queries
from readmodel.tickets.tables import Photo


def ensure_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise ApiError(403, f"this needs the role {allowed}; you are {user.role}")


# Tickets


def can_read(
    user: User,
    *,
    reporters: set[str],
    grid: str,
    department: str | None,
    history_departments: set[str],
) -> bool:
    match user.role:
        case Role.SUPERVISOR:
            # Their area: the district (command centre) or one street; none assigned, nothing.
            return contains(user.area, grid)
        case Role.GRID_WORKER:
            return user.user_id in reporters or grid in user.grids
        case Role.SENSOR:
            return user.user_id in reporters
        case Role.DEPARTMENT_STAFF:
            # A department that returned a ticket keeps read access to what it handled.
            return user.department is not None and (
                user.department == department or user.department in history_departments
            )
    return False  # admins manage configuration, not tickets


def ensure_can_read(user: User, ticket: TicketPublic) -> None:
    handled = {str(e.data.get("department")) for e in ticket.timeline if e.data.get("department")}
    # Reporters of merged reports follow the surviving ticket.
    reporters = {ticket.reporter_id} | {r.reporter_id for r in ticket.merged_reports}
    if not can_read(
        user,
        reporters=reporters,
        grid=ticket.grid,
        department=ticket.department,
        history_departments=handled,
    ):
        raise ApiError(403, f"ticket {ticket.ticket_id} is not in your grids, department or area")


def ensure_may_name_duplicate(user: User) -> None:
    """Cancelling a report as a duplicate is a supervisor's; checked before `duplicate_of` is
    looked up (who before what, as the workflow's validator does)."""
    ensure_role(user, Role.SUPERVISOR)


# Areas


async def area_scope(user: User, session: AsyncSession) -> str | None:
    """The area a supervisor's lists and aggregates are restricted to; None when it is the whole
    map (the command centre), so those queries keep their unfiltered plans."""
    ensure_role(user, Role.SUPERVISOR)
    if not user.area:  # fail closed: a supervisor without an area oversees nothing
        raise ApiError(403, "you have no area assigned; ask an admin to set one")
    districts = await map_store.district_codes(session=session)
    return None if districts == [user.area] else user.area


def ensure_in_area(user: User, *, grid: str, what: str) -> None:
    """Refuse a supervisor acting on something (a ticket, a subject) outside their area."""
    if user.role == Role.SUPERVISOR and not contains(user.area, grid):
        raise ApiError(
            403,
            f"{what} lies in street {street_of(grid)}, outside your area {user.area or '(none)'}",
            code="outside_area",
            grid=grid,
        )


async def ensure_ticket_in_area(
    user: User, *, session: AsyncSession, client: Client, ticket_id: str
) -> None:
    """A supervisor may only touch tickets in their area; an unknown ticket is left to the
    route (404)."""
    if user.role != Role.SUPERVISOR:
        return
    grid = await _ticket_grid(session=session, client=client, ticket_id=ticket_id)
    if grid is not None:
        ensure_in_area(user, grid=grid, what=f"ticket {ticket_id}")


async def _ticket_grid(*, session: AsyncSession, client: Client, ticket_id: str) -> str | None:
    """The ticket's grid: from the projection, else from the workflow; None if there is none."""
    row = await queries.ticket_row(session=session, ticket_id=ticket_id)
    if row is not None:
        return row.grid
    try:
        return (
            await tickets_service.read_ticket(session=session, client=client, ticket_id=ticket_id)
        ).grid
    except ApiError:
        return None


# Reports, notices, subjects, photos


def ensure_may_read_periodic_reports(user: User) -> None:
    """The periodic reports (docs/reports.md) rank every street and department against the others,
    which is what a 通报 is for: every supervisor with an area (the command centre or a street)
    reads them whole, and admins, who run them; a supervisor without an area reads none (fail
    closed, as area_scope)."""
    ensure_role(user, Role.SUPERVISOR, Role.ADMIN)
    if user.role == Role.SUPERVISOR and not user.area:
        raise ApiError(403, "you have no area assigned; ask an admin to set one")


def ensure_may_report_in(user: User, grid: str) -> None:
    """A grid worker reports in their own grids; sensors wherever their devices are."""
    if user.role != Role.SENSOR and grid not in user.grids:
        raise ApiError(
            403,
            f"the location lies in grid {grid}, which is not one of yours",
            code="outside_your_grids",
            grid=grid,
        )


def ensure_person(user: User, *, by_key: bool) -> None:
    """A person's own things (the in-app notices): people signed in, not machines or keys."""
    ensure_role(user, Role.GRID_WORKER, Role.DEPARTMENT_STAFF, Role.SUPERVISOR, Role.ADMIN)
    if by_key:
        raise ApiError(403, "an API key has no inbox: sign in as the person", code="not_a_person")


async def ensure_may_read_deliveries(
    user: User, *, session: AsyncSession, grid: str | None, event_id: str
) -> None:
    """A notice's deliveries: admins, and supervisors over the place it is about (a notice of no
    place, such as a report, is the command centre's)."""
    ensure_role(user, Role.SUPERVISOR, Role.ADMIN)
    if user.role == Role.ADMIN:
        return
    area = await area_scope(user, session)
    if area is None or (grid is not None and contains(area, grid)):
        return
    raise ApiError(403, f"notice {event_id} is not about your area {area}", code="outside_area")


@dataclass(frozen=True)
class NoticeScope:
    area: str | None = None  # about tickets in this area (None: anywhere)
    targets: list[str] | None = None  # addressed to one of these (None: to anyone)


async def notice_scope(user: User, session: AsyncSession) -> NoticeScope:
    """Whose notices a caller reads: a supervisor those about their area's tickets, department
    staff those addressed to their department, a grid worker those addressed to their grids."""
    if user.role == Role.SUPERVISOR:
        return NoticeScope(area=await area_scope(user, session))
    if user.role == Role.DEPARTMENT_STAFF:
        return NoticeScope(targets=[user.department or ""])
    return NoticeScope(targets=list(user.grids))


def ensure_can_read_subject(user: User, *, code: str, grid: str) -> None:
    """A subject's details (its state, history, who acted) are for those who may see its grid:
    the grid's workers, supervisors of its area, and admins, who keep the register. Everyone
    else has the sunshine lookup (/public/subjects/{code})."""
    ensure_role(user, Role.GRID_WORKER, Role.SUPERVISOR, Role.ADMIN)
    ensure_in_area(user, grid=grid, what=f"subject {code}")
    if user.role == Role.GRID_WORKER and grid not in user.grids:
        raise ApiError(
            403,
            f"subject {code} lies in grid {grid}, not in your grids",
            code="outside_your_grids",
            grid=grid,
        )


async def may_see_photo(user: User, photo: Photo, *, session: AsyncSession, client: Client) -> bool:
    """Its uploader, and whoever may read the ticket it is attached to."""
    if photo.uploader_id == user.user_id:
        return True
    if photo.ticket_id is None:
        return False
    try:
        ticket = await tickets_service.read_ticket(
            session=session, client=client, ticket_id=photo.ticket_id
        )
        ensure_can_read(user, ticket)
    except ApiError:
        return False
    return True


# Supervision orders (督办单)


@dataclass(frozen=True)
class OrderScope:
    area: str | None = None  # orders whose tickets lie in this area (None: anywhere)
    department: str | None = None  # orders addressed to this department (None: to any)


async def order_scope(user: User, session: AsyncSession) -> OrderScope:
    """Whose 督办单 a caller lists: a supervisor those about their area, department staff those
    addressed to their department."""
    if user.role == Role.SUPERVISOR:
        return OrderScope(area=await area_scope(user, session))
    ensure_role(user, Role.DEPARTMENT_STAFF)
    return OrderScope(department=user.department or "")


def ensure_can_read_order(user: User, *, order_id: str, place: str, department: str) -> None:
    """An order is for the supervisors whose area holds all its tickets (its place) and for
    the staff of the department it is addressed to."""
    ensure_role(user, Role.SUPERVISOR, Role.DEPARTMENT_STAFF)
    if user.role == Role.SUPERVISOR and not contains(user.area, place):
        raise ApiError(
            403,
            f"order {order_id} concerns {place}, outside your area {user.area or '(none)'}",
            code="outside_area",
        )
    if user.role == Role.DEPARTMENT_STAFF and user.department != department:
        raise ApiError(403, f"order {order_id} is addressed to another department")
