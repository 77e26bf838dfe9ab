"""Load reference data (departments, grids, categories, routing rules, users) into the read model."""

from sqlmodel.ext.asyncio.session import AsyncSession

from credentials import api_key_hash, demo_password_hash
from domain import demo_city
from domain.demo import geography
from domain.demo.people import API_KEYS as DEMO_API_KEYS
from domain.demo.subjects import SUBJECTS
from readmodel.access.auth_store import seed_api_key
from readmodel.access.tables import User
from readmodel.reference.calendar_store import seed_china_calendar
from readmodel.reference.catalogue_store import seed_catalogue
from readmodel.reference.map_store import seed_map
from readmodel.reference.policy_store import seed_rules as seed_deadline_rules
from readmodel.reference.routing_store import seed_rules
from readmodel.reference.tables import Department, SubjectRow


async def seed_demo_city(*, session: AsyncSession) -> None:
    """Insert or refresh the demo city and China's working calendar; safe to run on every start."""
    for code, name in demo_city.DEPARTMENTS.items():
        await session.merge(Department(code=code, name=name))
    await seed_catalogue(session=session, catalogue=demo_city.CATALOGUE)
    await seed_map(session=session, areas=geography.AREAS, cells=geography.GRIDS)  # the GeoJSON
    await seed_rules(session=session, rules=demo_city.RULES)  # only rule ids not known yet
    for user_id, name, role, dept, grids, password in demo_city.USERS:
        # Only users not there yet: an admin's changes (rights, password, active) are kept.
        if await session.get(User, user_id) is None:
            session.add(
                User(
                    user_id=user_id,
                    name=name,
                    role=role,
                    department=dept,
                    grids=grids,
                    area=demo_city.SUPERVISOR_AREAS.get(user_id),
                    password_hash=demo_password_hash(password),
                )
            )
    for key_id, user_id, label, key in DEMO_API_KEYS:  # gateways: they report, nothing else
        await seed_api_key(
            session=session,
            key_id=key_id,
            user_id=user_id,
            label=label,
            key_hash=api_key_hash(key),
            role="sensor",
            scopes=["sensor_intake", "open311_report"],
        )
    await seed_deadline_rules(session=session, rules=demo_city.DEADLINE_RULES)  # empty table only
    for code, name, kind, grid in SUBJECTS:
        if await session.get(SubjectRow, code) is None:  # its colour is its workflow's to change
            session.add(SubjectRow(code=code, name=name, kind=kind, grid=grid))
    await session.commit()
    await seed_china_calendar(session=session)  # only the years not loaded yet
