"""The shapes of a bundle's map: valid polygons in WGS-84, inside their district and parent, not
overlapping their siblings, and children that cover their parent without gaps.

Areas are measured in square metres on a local equirectangular projection around the map's mean
latitude (within a fraction of a percent over a county). Overlaps, gaps and overhangs smaller
than `sliver_m2` are slivers of digitising, not mistakes, and are not reported. Pure.
"""

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from domain.bundle import Bundle, Problem
from domain.geo import Level, Ring

SLIVER_M2 = 1.0
EARTH_RADIUS_M = 6_371_008.8
LEVEL_ZH = {
    Level.DISTRICT: "区县",
    Level.STREET: "街道",
    Level.COMMUNITY: "社区",
    Level.GRID: "网格",
}


CHILDREN = {Level.DISTRICT: "streets", Level.STREET: "communities", Level.COMMUNITY: "grid cells"}


class _Unit:
    def __init__(self, part: str, index: int, code: str, level: Level, ring: Ring) -> None:
        self.part, self.index, self.code, self.level, self.ring = part, index, code, level, ring
        self.valid = False  # then shape is its polygon in metres
        self.shape: BaseGeometry = shapely.Polygon()


class _Projection:
    """WGS-84 degrees ↔ metres, equirectangular around one latitude."""

    def __init__(self, lat: float) -> None:
        self.ky = math.pi / 180 * EARTH_RADIUS_M
        self.kx = self.ky * math.cos(math.radians(lat))

    def metres(self, coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack([coords[:, 0] * self.kx, coords[:, 1] * self.ky])

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        return x / self.kx, y / self.ky


def _m2(value: float) -> str:
    return f"{value:,.0f} m²"


def check_geometry(bundle: Bundle, *, sliver_m2: float = SLIVER_M2) -> list[Problem]:
    units = [_Unit("areas", i, a.code, a.level, a.ring) for i, a in enumerate(bundle.areas)]
    units += [_Unit("grids", i, g.code, Level.GRID, g.ring) for i, g in enumerate(bundle.grids)]
    lats = [lat for u in units for _, lat in u.ring if -90 <= lat <= 90]
    projection = _Projection(sum(lats) / len(lats) if lats else 0.0)
    problems = list(_shapes(bundle, units, projection))
    by_code: dict[str, _Unit] = {}
    for u in units:
        if u.valid:
            by_code.setdefault(u.code, u)
    valid = list(by_code.values())
    problems += _outside(bundle, valid, by_code, sliver_m2)
    for level in Level:
        problems += _overlaps(bundle, [u for u in valid if u.level is level], sliver_m2)
    # a parent with a child of unknown shape: its gaps are unknown too, not the child's whole area
    unknown = {_parent_code(u) for u in units if not u.valid and u.level is not Level.DISTRICT}
    problems += _gaps(
        bundle, [u for u in valid if u.code not in unknown], valid, projection, sliver_m2
    )
    return problems


def _shapes(bundle: Bundle, units: list[_Unit], projection: _Projection) -> Iterable[Problem]:
    """Each unit's polygon in metres, or the reason it has none."""
    for u in units:
        if any(not (-180 <= lon <= 180 and -90 <= lat <= 90) for lon, lat in u.ring):
            yield bundle.problem(
                u.part, u.index, "geometry",
                "coordinates are not WGS-84 longitude and latitude (a projected map must be "
                "converted to EPSG:4326)",
                "坐标不是 WGS-84 经纬度（投影坐标的地图须先转换为 EPSG:4326）",
            )  # fmt: skip
            continue
        try:
            polygon = shapely.Polygon(u.ring)
        except (ValueError, GEOSException) as e:
            yield bundle.problem(
                u.part, u.index, "geometry", f"not a polygon: {e}", f"不是有效的多边形：{e}"
            )
            continue
        if not polygon.is_valid:
            reason = explain_validity(polygon)
            yield bundle.problem(
                u.part,
                u.index,
                "geometry",
                f"invalid geometry: {reason}",
                f"几何图形无效：{reason}",
            )
            continue
        u.shape, u.valid = shapely.transform(polygon, projection.metres), True


def _outside(
    bundle: Bundle, units: list[_Unit], by_code: dict[str, _Unit], sliver_m2: float
) -> Iterable[Problem]:
    """Each unit against its district, and against its parent when the district holds it."""
    for u in units:
        if u.level is Level.DISTRICT:
            continue
        for container in (by_code.get(u.code[:6]), by_code.get(_parent_code(u))):
            if container is None or container is u or not container.valid:
                continue
            outside = u.shape.difference(container.shape).area
            if outside > sliver_m2:
                level = container.level
                yield bundle.problem(
                    u.part, u.index, "geometry",
                    f"{_m2(outside)} of it lie outside its {level} {container.code}",
                    f"有 {_m2(outside)} 位于所属{LEVEL_ZH[level]} {container.code} 之外",
                )  # fmt: skip
                break  # outside the district: its parent says nothing more


def _parent_code(u: _Unit) -> str:
    lengths = {Level.STREET: 6, Level.COMMUNITY: 9, Level.GRID: 12}
    return u.code[: lengths[u.level]]


def _overlaps(bundle: Bundle, siblings: list[_Unit], sliver_m2: float) -> Iterable[Problem]:
    if len(siblings) < 2:
        return
    shapes = [u.shape for u in siblings]
    tree = shapely.STRtree(shapes)
    for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
        if i >= j:
            continue
        a, b = siblings[int(i)], siblings[int(j)]
        overlap = a.shape.intersection(b.shape).area
        if overlap > sliver_m2:
            zh = LEVEL_ZH[a.level]
            yield bundle.problem(
                a.part, a.index, "geometry",
                f"{a.level} {a.code} and {b.code} overlap by {_m2(overlap)}",
                f"{zh} {a.code} 与 {b.code} 重叠 {_m2(overlap)}",
            )  # fmt: skip


def _gaps(
    bundle: Bundle,
    parents: list[_Unit],
    units: list[_Unit],
    projection: _Projection,
    sliver_m2: float,
) -> Iterable[Problem]:
    """Inside each area, the parts none of its children cover (when it has any in the map)."""
    children: dict[str, list[_Unit]] = {}
    for u in units:
        if u.level is not Level.DISTRICT:
            children.setdefault(_parent_code(u), []).append(u)
    for parent in parents:
        kids = children.get(parent.code)
        if parent.level is Level.GRID or not kids:
            continue
        uncovered = parent.shape.difference(shapely.union_all([k.shape for k in kids]))
        for gap in shapely.get_parts(uncovered):
            if gap.area <= sliver_m2:
                continue
            point = gap.representative_point()
            lon, lat = projection.lonlat(point.x, point.y)
            kind = kids[0].level
            yield bundle.problem(
                parent.part, parent.index, "geometry",
                f"a gap of {_m2(gap.area)} inside {parent.level} {parent.code} is in none of its "
                f"{CHILDREN[parent.level]}, around ({lon:.6f}, {lat:.6f})",
                f"{LEVEL_ZH[parent.level]} {parent.code} 内有 {_m2(gap.area)} 的空隙不属于任何"
                f"{LEVEL_ZH[kind]}，位于 ({lon:.6f}, {lat:.6f}) 附近",
            )  # fmt: skip
