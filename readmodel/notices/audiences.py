"""Who an audience is for one event: users of the read model, resolved by role, department,
grid and area (domain/notices.py Audience)."""

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.areas import DISTRICT_DIGITS, contains
from domain.notices import Audience, NoticeEvent, target_kind
from domain.states import Role
from readmodel.access.tables import User


class People:
    """The active users an event may reach, loaded once for a batch of events."""

    def __init__(self, users: Sequence[User]) -> None:
        self.staff = [u for u in users if u.role == Role.DEPARTMENT_STAFF and u.on_duty]
        self.workers = [u for u in users if u.role == Role.GRID_WORKER]
        self.supervisors = [u for u in users if u.role == Role.SUPERVISOR and u.area]

    @classmethod
    async def load(cls, session: AsyncSession) -> "People":
        query = (
            select(User)
            .where(col(User.active))
            .where(col(User.role).in_([Role.DEPARTMENT_STAFF, Role.GRID_WORKER, Role.SUPERVISOR]))
        )
        return cls((await session.exec(query)).all())

    def of_department(self, code: str | None) -> list[User]:
        return [u for u in self.staff if code and u.department == code]

    def of_grid(self, grid: str | None) -> list[User]:
        return [u for u in self.workers if grid and grid in u.grids]

    def over(self, code: str | None) -> list[User]:
        """The supervisors nearest over a unit: those of the most specific area containing it."""
        if not code:
            return []
        covering = [u for u in self.supervisors if u.area == code or contains(u.area, code)]
        if not covering:
            return []
        nearest = max(len(u.area or "") for u in covering)
        return [u for u in covering if len(u.area or "") == nearest]

    def centre(self, grid: str | None) -> list[User]:
        """The command centre: district supervisors (of the event's district, if it has a place)."""
        district = [u for u in self.supervisors if len(u.area or "") == DISTRICT_DIGITS]
        return [u for u in district if not grid or contains(u.area, grid)]

    def audience(self, audience: Audience, event: NoticeEvent) -> list[User]:
        if audience is Audience.TARGET:
            kind = target_kind(event.target)
            if kind == "department":
                return self.of_department(event.target)
            if kind == "grid":
                return self.of_grid(event.target)
            if kind in ("community", "street", "district"):
                return self.over(event.target)
            if kind == "centre":
                return self.centre(event.grid)
            return []
        if audience is Audience.DEPARTMENT:
            return self.of_department(event.department)
        if audience is Audience.GRID_WORKER:
            return self.of_grid(event.grid)
        if audience is Audience.LEVEL_SUPERVISOR:
            kind = target_kind(event.target)
            return self.over(event.target) if kind in ("community", "street", "district") else []
        if audience is Audience.SUPERVISOR:
            return self.over(event.grid)
        return self.centre(event.grid)
