"""The category catalogue in the read model, and the departments tickets go to: load, look up,
search."""

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.categories import Catalogue
from readmodel.reference.tables import Category, CategoryClass, Department


async def seed_catalogue(*, session: AsyncSession, catalogue: Catalogue) -> None:
    """Insert or refresh every big class and sub-class (no commit)."""
    for big in catalogue.classes:
        await session.merge(
            CategoryClass(
                code=big.code, kind=big.kind.value, name_zh=big.name_zh, name_en=big.name_en
            )
        )
    for sub in catalogue.subclasses:
        big = catalogue.big_class(sub.class_code)
        await session.merge(
            Category(
                code=sub.code,
                name_zh=sub.name_zh,
                name_en=sub.name_en,
                kind=sub.kind.value,
                class_code=big.code,
                class_name_zh=big.name_zh,
                class_name_en=big.name_en,
                default_department=sub.default_department,
                urgency=sub.urgency.value,
                duplicate_radius_m=sub.duplicate_radius_m,
                duplicate_window_hours=sub.duplicate_window_hours,
            )
        )


async def search_categories(
    *,
    session: AsyncSession,
    q: str | None = None,
    kind: str | None = None,
    class_code: str | None = None,
) -> list[Category]:
    """Sub-classes by code order; `q` matches the code, the Chinese name or the English label
    (case-insensitive substring, taken literally), or the big class's code or names."""
    query = select(Category)
    if q:
        # autoescape: the caller's text is searched for as it is, `%` and `_` included
        query = query.where(
            or_(
                *(
                    col(c).icontains(q.strip(), autoescape=True)
                    for c in (
                        Category.code,
                        Category.name_zh,
                        Category.name_en,
                        Category.class_code,
                        Category.class_name_zh,
                        Category.class_name_en,
                    )
                )
            )
        )
    if kind:
        query = query.where(Category.kind == kind)
    if class_code:
        query = query.where(Category.class_code == class_code)
    return list((await session.exec(query.order_by(col(Category.code)))).all())


async def big_classes(*, session: AsyncSession) -> list[CategoryClass]:
    return list((await session.exec(select(CategoryClass).order_by(col(CategoryClass.code)))).all())


async def category(*, session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code)


async def department(*, session: AsyncSession, code: str) -> Department | None:
    return await session.get(Department, code)


async def departments(*, session: AsyncSession) -> list[Department]:
    return list((await session.exec(select(Department).order_by(col(Department.code)))).all())
