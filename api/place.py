"""This process's point → grid index: built once at startup from the read model's `grid` table
(not per request). After the grid table changes, `POST /api/v1/map/reload` rebuilds it in the
process that answers (or restart the API; with several replicas, a rolling restart)."""

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from domain.geo import GridIndex
from readmodel.reference.map_store import load_grid_index


async def load(app: FastAPI) -> GridIndex:
    async with app.state.db.session() as session:
        app.state.grid_index = await load_grid_index(session=session)
    return app.state.grid_index


async def get_grid_index(request: Request) -> GridIndex:
    index = getattr(request.app.state, "grid_index", None)
    return index if index is not None else await load(request.app)


GridIndexDep = Annotated[GridIndex, Depends(get_grid_index)]
