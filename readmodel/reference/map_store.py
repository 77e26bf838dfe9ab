"""The map in the read model: grids (`grid`) and the areas above them (`area`)."""

from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.geo import Area, GridCell, GridIndex, Level, feature_collection
from readmodel.reference.tables import AreaRow, Grid


async def seed_map(*, session: AsyncSession, areas: list[Area], cells: list[GridCell]) -> None:
    """Make the map exactly these areas and grids (rows of another map are removed, so no stale
    polygon overlaps the new ones). The caller commits."""
    for area in areas:
        await session.merge(
            AreaRow(
                code=area.code,
                level=area.level.value,
                name=area.name,
                parent=area.parent,
                ring=[list(p) for p in area.ring],
            )
        )
    for cell in cells:
        await session.merge(
            Grid(
                code=cell.code,
                name=cell.name,
                community=cell.community,
                street=cell.street,
                district=cell.district,
                ring=[list(p) for p in cell.ring],
            )
        )
    await session.exec(delete(AreaRow).where(col(AreaRow.code).not_in([a.code for a in areas])))
    await session.exec(delete(Grid).where(col(Grid.code).not_in([c.code for c in cells])))


async def grid(*, session: AsyncSession, code: str) -> Grid | None:
    return await session.get(Grid, code)


async def unknown_grids(*, session: AsyncSession, codes: list[str]) -> list[str]:
    """Those of `codes` that name no grid of the map, sorted."""
    known = set((await session.exec(select(Grid.code).where(col(Grid.code).in_(codes)))).all())
    return sorted(set(codes) - known)


async def area(*, session: AsyncSession, code: str) -> AreaRow | None:
    return await session.get(AreaRow, code)


async def district_codes(*, session: AsyncSession) -> list[str]:
    return list((await session.exec(select(AreaRow.code).where(AreaRow.level == "district"))).all())


async def grid_cells(*, session: AsyncSession) -> list[GridCell]:
    rows = (await session.exec(select(Grid).order_by(Grid.code))).all()
    return [GridCell.model_validate(r, from_attributes=True) for r in rows]


async def load_grid_index(*, session: AsyncSession) -> GridIndex:
    """The point → grid index over every grid of the read model."""
    return GridIndex(await grid_cells(session=session))


async def map_features(*, session: AsyncSession, level: Level | None = None) -> dict[str, Any]:
    """The map as a GeoJSON FeatureCollection (district, streets, communities, grids; or one level)."""
    areas = [
        Area(code=r.code, level=Level(r.level), name=r.name, parent=r.parent, ring=r.ring)
        for r in (await session.exec(select(AreaRow))).all()
        if level is None or r.level == level.value
    ]
    cells = await grid_cells(session=session) if level in (None, Level.GRID) else []
    return feature_collection(areas, cells)
