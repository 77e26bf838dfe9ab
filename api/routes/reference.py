"""Reference data the forms need, and who the caller is."""
from fastapi import APIRouter
from sqlmodel import select

from api.deps import CurrentUser, SessionDep
from api.schemas import Me
from readmodel.tables import Category, Department

router = APIRouter(tags=["reference"])


@router.get("/me", response_model=Me)
async def me(user: CurrentUser) -> Me:
    """The caller's identity, role, department and grids."""
    return Me.model_validate(user, from_attributes=True)


@router.get("/categories", response_model=list[Category])
async def categories(_: CurrentUser, session: SessionDep) -> list[Category]:
    """The incident categories a report can have."""
    return list((await session.exec(select(Category).order_by(Category.code))).all())


@router.get("/departments", response_model=list[Department])
async def departments(_: CurrentUser, session: SessionDep) -> list[Department]:
    """The departments tickets can be dispatched to."""
    return list((await session.exec(select(Department).order_by(Department.code))).all())
