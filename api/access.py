"""Who may read which ticket (acting is checked by the workflow's update validators and, for a
supervisor's area, by api/authz.py)."""
from api.errors import ApiError
from domain.states import Role
from readmodel.tables import User


def can_read(user: User, *, reporters: set[str], grid: str, department: str | None,
             history_departments: set[str]) -> bool:
    match user.role:
        case Role.SUPERVISOR:
            # Their area: the district (command centre) or one street; none assigned, nothing.
            return bool(user.area) and grid.startswith(user.area or "")
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


def ensure_can_read(user: User, ticket) -> None:  # type: ignore[no-untyped-def]
    handled = {str(e.data.get("department")) for e in ticket.timeline if e.data.get("department")}
    # Reporters of merged reports follow the surviving ticket.
    reporters = {ticket.reporter_id} | {r.reporter_id for r in ticket.merged_reports}
    if not can_read(user, reporters=reporters, grid=ticket.grid,
                    department=ticket.department, history_departments=handled):
        raise ApiError(403, f"ticket {ticket.ticket_id} is not in your grids, department or area")
