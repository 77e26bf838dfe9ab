"""Place: the grid map as data, point → grid with an R-tree, coordinate systems at the edge.

Codes follow CJ/T 349: county (6 digits) + street (3) + community (3) + grid (2); a code's
parents are its prefixes (domain/areas.py). Polygons are WGS-84
(lon, lat) outer rings; GeoJSON is the exchange format (RFC 7946: exterior rings counter-clockwise).
Pure: no I/O (shapely and prcoords compute only).
"""

from collections.abc import Iterable
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple

import prcoords
import shapely
from pydantic import BaseModel
from shapely.geometry import Point, Polygon
from shapely.geometry.polygon import orient

from domain.areas import (
    COMMUNITY_DIGITS,
    DISTRICT_DIGITS,
    GRID_DIGITS,
    STREET_DIGITS,
    community_of,
    district_of,
    street_of,
)

Ring = list[tuple[float, float]]  # (lon, lat) vertices of an outer ring, first == last, WGS-84


class Level(StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


CODE_LENGTH = {
    Level.DISTRICT: DISTRICT_DIGITS,
    Level.STREET: STREET_DIGITS,
    Level.COMMUNITY: COMMUNITY_DIGITS,
    Level.GRID: GRID_DIGITS,
}
PARENT_LEVEL = {
    Level.STREET: Level.DISTRICT,
    Level.COMMUNITY: Level.STREET,
    Level.GRID: Level.COMMUNITY,
}


def level_of(code: str) -> Level:
    """The level a CJ/T 349 code names, from its length (6, 9, 12 or 14 digits)."""
    for level, length in CODE_LENGTH.items():
        if len(code) == length and code.isdigit():
            return level
    raise ValueError(f"not a district, street, community or grid code: {code!r}")


def parent_of(code: str) -> str | None:
    """The code of the unit one level up (a grid's community …), None for a district."""
    parent = PARENT_LEVEL.get(level_of(code))
    return code[: CODE_LENGTH[parent]] if parent else None


class LonLat(NamedTuple):
    lon: float
    lat: float


class GridCell(BaseModel):
    code: str
    name: str
    community: str
    street: str
    district: str
    ring: Ring

    @cached_property
    def polygon(self) -> Polygon:
        return Polygon(self.ring)

    @cached_property
    def inside(self) -> LonLat:
        """A point strictly inside the cell (not its centroid, which a concave cell may lack)."""
        point = self.polygon.point_on_surface()
        return LonLat(point.x, point.y)


class Area(BaseModel):
    """A district, street or community: a named polygon that its children tile."""

    code: str
    level: Level
    name: str
    parent: str | None
    ring: Ring

    @cached_property
    def polygon(self) -> Polygon:
        return Polygon(self.ring)


class GridIndex:
    """Point → grid cell with shapely's STRtree; build once, query many times (~10 µs a point).

    Cells are closed polygons, so a point on an edge or a vertex shared by several cells touches
    all of them: the cell with the lowest code wins, so every point of the map resolves to exactly
    one grid, the same one every time. A point outside every cell resolves to None.
    """

    def __init__(self, cells: Iterable[GridCell]) -> None:
        self.cells = sorted(cells, key=lambda c: c.code)
        self._tree = shapely.STRtree([c.polygon for c in self.cells])

    def __len__(self) -> int:
        return len(self.cells)

    def locate(self, *, lat: float, lon: float) -> GridCell | None:
        """The grid cell containing the WGS-84 point (its community, street and district codes
        come with it), or None when it lies outside every grid."""
        hits = self._tree.query(Point(lon, lat), predicate="intersects")
        return self.cells[int(hits.min())] if len(hits) else None


def locate(cells: Iterable[GridCell], *, lat: float, lon: float) -> GridCell | None:
    """One-off lookup; build a GridIndex instead when there are many points."""
    return GridIndex(cells).locate(lat=lat, lon=lon)


# --- coordinate systems ---------------------------------------------------------------------


class CoordSystem(StrEnum):
    """WGS-84 (GPS), GCJ-02 (China's obfuscated datum: Amap, Tencent, Apple in China), BD-09
    (Baidu). Near Hangzhou GCJ-02 lies ~450 m off WGS-84, more than a grid cell."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def to_wgs84(*, lat: float, lon: float, system: CoordSystem) -> tuple[float, float]:
    """(lat, lon) in WGS-84. GCJ-02 and BD-09 are inverted iteratively (prcoords' "bored"
    inverses, ~1e-10° here); outside mainland China they are WGS-84 already and left as they are."""
    if system is CoordSystem.WGS84 or not prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)):
        return lat, lon
    inverse = prcoords.gcj_wgs_bored if system is CoordSystem.GCJ02 else prcoords.bd_wgs_bored
    wgs = inverse(prcoords.Coords(lat, lon))
    return wgs.lat, wgs.lon


# --- GeoJSON --------------------------------------------------------------------------------


def _ccw(ring: Ring) -> list[list[float]]:
    return [list(p) for p in orient(Polygon(ring), sign=1.0).exterior.coords]


def feature(unit: Area | GridCell) -> dict[str, Any]:
    """A GeoJSON Feature with properties code, level, name, parent."""
    parent: str | None
    if isinstance(unit, GridCell):
        level, parent = Level.GRID, unit.community
    else:
        level, parent = unit.level, unit.parent
    return {
        "type": "Feature",
        "properties": {
            "code": unit.code,
            "level": level.value,
            "name": unit.name,
            "parent": parent,
        },
        "geometry": {"type": "Polygon", "coordinates": [_ccw(unit.ring)]},
    }


def feature_collection(areas: Iterable[Area], cells: Iterable[GridCell]) -> dict[str, Any]:
    """District, streets, communities, then grids, each by code."""
    order = list(CODE_LENGTH)
    units: list[Area | GridCell] = [*areas, *cells]
    units.sort(key=lambda u: (order.index(u.level if isinstance(u, Area) else Level.GRID), u.code))
    return {"type": "FeatureCollection", "features": [feature(u) for u in units]}


def read_feature_collection(doc: dict[str, Any]) -> tuple[list[Area], list[GridCell]]:
    """Areas (district, streets, communities) and grid cells, each by code; checks codes and
    parents (CJ/T 349 prefixes)."""
    areas, cells = [], []
    for f in doc["features"]:
        props, geometry = f["properties"], f["geometry"]
        if geometry["type"] != "Polygon":
            raise ValueError(f"{props['code']}: expected a Polygon, got {geometry['type']}")
        ring = [(float(x), float(y)) for x, y in geometry["coordinates"][0]]
        code, level = props["code"], Level(props["level"])
        if level_of(code) is not level or props.get("parent") != parent_of(code):
            raise ValueError(
                f"{code}: level {level} or parent {props.get('parent')} does not match its code"
            )
        if level is Level.GRID:
            cells.append(
                GridCell(
                    code=code,
                    name=props["name"],
                    community=community_of(code),
                    street=street_of(code),
                    district=district_of(code),
                    ring=ring,
                )
            )
        else:
            areas.append(
                Area(
                    code=code,
                    level=level,
                    name=props["name"],
                    parent=props.get("parent"),
                    ring=ring,
                )
            )
    return sorted(areas, key=lambda a: a.code), sorted(cells, key=lambda c: c.code)
