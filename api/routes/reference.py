"""Reference data the forms need, and who the caller is."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep
from api.schemas import Me
from domain.categories import CategoryKind
from readmodel.reference import catalogue_store
from readmodel.reference.tables import Category, CategoryClass, Department

router = APIRouter(tags=["reference"])


@router.get("/me", response_model=Me)
async def me(user: CurrentUser) -> Me:
    """The caller's identity, role, department and grids."""
    return Me.model_validate(user, from_attributes=True)


@router.get("/categories", response_model=list[Category])
async def categories(
    _: CurrentUser,
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            max_length=64,
            description=(
                "search: part of the code, the Chinese name or the English label (of the sub-class or "
                "its big class), case-insensitive"
            ),
        ),
    ] = None,
    kind: Annotated[
        CategoryKind | None, Query(description="component (部件) or event (事件)")
    ] = None,
    class_code: Annotated[
        str | None, Query(max_length=3, description="a big class, e.g. E01")
    ] = None,
) -> list[Category]:
    """The sub-classes (小类) a report can name, with their big class, default department and
    urgency, and duplicate detection settings; codes are explained in docs/place-and-routing.md."""
    return await catalogue_store.search_categories(
        session=session, q=q, kind=kind.value if kind else None, class_code=class_code
    )


@router.get("/category-classes", response_model=list[CategoryClass])
async def category_classes(_: CurrentUser, session: SessionDep) -> list[CategoryClass]:
    """The big classes (大类) of components and events."""
    return await catalogue_store.big_classes(session=session)


@router.get("/departments", response_model=list[Department])
async def departments(_: CurrentUser, session: SessionDep) -> list[Department]:
    """The departments tickets can be dispatched to."""
    return await catalogue_store.departments(session=session)
