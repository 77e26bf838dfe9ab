"""Load reference data (departments, grids, categories, routing rules, users) into the read model."""
import hashlib

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import demo_city
from domain.demo import geography
from domain.demo.subjects import SUBJECTS
from readmodel.calendar_store import seed_china_calendar
from readmodel.catalogue_store import seed_catalogue
from readmodel.map_store import seed_map
from readmodel.routing_store import seed_rules
from readmodel.tables import DeadlineRuleRow, Department, SubjectRow, User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def seed_demo_city(*, session: AsyncSession) -> None:
    """Insert or refresh the demo city and China's working calendar; safe to run on every start."""
    for code, name in demo_city.DEPARTMENTS.items():
        await session.merge(Department(code=code, name=name))
    await seed_catalogue(session=session, catalogue=demo_city.CATALOGUE)
    await seed_map(session=session, areas=geography.AREAS, cells=geography.GRIDS)  # the GeoJSON
    await seed_rules(session=session, rules=demo_city.RULES)  # only rule ids not known yet
    for user_id, name, role, dept, grids, token in demo_city.USERS:
        await session.merge(User(user_id=user_id, name=name, role=role, department=dept,
                                 grids=grids, area=demo_city.SUPERVISOR_AREAS.get(user_id),
                                 token_hash=token_hash(token)))
    if (await session.exec(select(DeadlineRuleRow.id).limit(1))).first() is None:
        # Only into an empty table: an admin's later changes are never overwritten.
        session.add_all(DeadlineRuleRow(**r.model_dump()) for r in demo_city.DEADLINE_RULES)
    for code, name, kind, grid in SUBJECTS:
        if await session.get(SubjectRow, code) is None:  # its colour is its workflow's to change
            session.add(SubjectRow(code=code, name=name, kind=kind, grid=grid))
    await session.commit()
    await seed_china_calendar(session=session)  # only the years not loaded yet
