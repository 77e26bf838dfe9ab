"""The map: district, streets, communities and grids as GeoJSON, for the web app to draw."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api import place
from api.deps import AdminUser, CurrentUser, SessionDep
from domain.geo import Level
from readmodel.reference.map_store import map_features

router = APIRouter(prefix="/map", tags=["map"])


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.get(
    "",
    response_class=GeoJSONResponse,
    responses={
        200: {
            "content": {"application/geo+json": {}},
            "description": "a FeatureCollection of Polygons (WGS-84), properties code, level, name, parent",
        }
    },
)
async def get_map(_: CurrentUser, session: SessionDep, level: Level | None = None) -> Any:
    """The map as GeoJSON: the district, its streets, communities and grid cells (or one `level`),
    each a Polygon with its CJ/T 349 code, level, name and parent's code."""
    return GeoJSONResponse(await map_features(session=session, level=level))


@router.post("/reload")
async def reload_map(user: AdminUser, request: Request) -> dict[str, int]:
    """Rebuild this API process's point → grid index from the read model's grid table (after
    the grid table has changed; with several API replicas, restart them instead; admins)."""
    index = await place.load(request.app)
    return {"grids": len(index)}
