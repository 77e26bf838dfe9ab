"""A bundle's map: GeoJSON features → areas and grid cells, each remembering its position.

Properties: `code` (CJ/T 349), `name`, and optionally `level` (else the code's length says it)
and `parent` (else the code's prefix says it). A geometry is a Polygon without holes (or a
MultiPolygon of one such polygon), WGS-84. Whether codes, parents and shapes agree is
domain/bundle_check.py's to say; here only what cannot be read at all is a Problem.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from domain.areas import district_of, street_of
from domain.bundle import Problem
from domain.geo import Area, GridCell, Level, level_of, parent_of
from readmodel.reference.bundle_tables import problem

WGS84_NAMES = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4490", "EPSG:4490")  # 4490: CGCS2000


@dataclass
class MapRead:
    areas: list[Area] = field(default_factory=list)
    grids: list[GridCell] = field(default_factory=list)
    area_rows: list[int] = field(default_factory=list)  # 1-based feature positions
    grid_rows: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _code(value: Any) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code stored as a number by a GIS tool
    return str(value).strip() if value not in (None, "") else None


def _ring(geometry: Any) -> list[tuple[float, float]]:
    """The outer ring; ValueError (in both languages, "English|中文") when there is none."""
    if not isinstance(geometry, dict):
        raise ValueError("no geometry|没有几何图形")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "MultiPolygon" and isinstance(coordinates, list) and len(coordinates) == 1:
        kind, coordinates = "Polygon", coordinates[0]
    if kind != "Polygon":
        raise ValueError(f"expected a Polygon, got {kind}|应为 Polygon（多边形），实为 {kind}")
    if not isinstance(coordinates, list) or not coordinates:
        raise ValueError("a Polygon without coordinates|多边形没有坐标")
    if len(coordinates) > 1:
        raise ValueError("a polygon with holes is not supported|不支持带洞的多边形")
    try:
        ring = [(float(p[0]), float(p[1])) for p in coordinates[0]]
    except (TypeError, ValueError, IndexError):
        raise ValueError(
            "coordinates are not [longitude, latitude] numbers|坐标不是[经度, 纬度]数值"
        ) from None
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise ValueError(
            "a ring needs at least 4 positions, the last equal to the first|"
            "外环至少需要 4 个点，且首尾相同"
        )
    return ring


def _level(text: Any, code: str | None, bad: list[tuple[str, str, str]]) -> Level | None:
    """The level the feature gives, else the one its code's length says; None (and why in bad)."""
    try:
        return Level(text) if text else level_of(code) if code else None
    except ValueError:
        bad.append(
            ("level", f"unknown level {text!r} (district, street, community or grid)",
             f"未知层级 {text!r}（district、street、community 或 grid）")
            if text else
            ("code", f"{code!r} is not a district, street, community or grid code",
             f"{code!r} 不是区县、街道、社区或网格编码")
        )  # fmt: skip
        return None


def read_features(file: str, features: list[Any]) -> MapRead:
    """Areas and grid cells in the order of the features (a dry run sorts them)."""
    read = MapRead()
    for number, f in enumerate(features, start=1):
        props = f.get("properties") if isinstance(f, dict) else None
        props = props if isinstance(props, dict) else {}
        code, name = _code(props.get("code")), props.get("name")
        bad: list[tuple[str, str, str]] = []
        if code is None:
            bad.append(("code", "no code", "缺少编码"))
        if not name:
            bad.append(("name", "no name", "缺少名称"))
        level_text = props.get("level")
        level = _level(level_text, code, bad)
        try:
            ring = _ring(f.get("geometry") if isinstance(f, dict) else None)
        except ValueError as e:
            en, zh = str(e).split("|")
            bad.append(("geometry", en, zh))
        for column, en, zh in bad:
            read.problems.append(
                Problem(
                    file=file, row=number, feature=code, field=column, message=en, message_zh=zh
                )
            )
        if bad or code is None or level is None:
            continue
        given_parent = props.get("parent", ...)
        parent = _code(given_parent) if given_parent is not ... else _derived_parent(code)
        if level is Level.GRID:
            read.grids.append(
                GridCell(
                    code=code,
                    name=str(name),
                    community=parent or "",
                    street=street_of(code),
                    district=district_of(code),
                    ring=ring,
                )
            )
            read.grid_rows.append(number)
        else:
            read.areas.append(
                Area(code=code, level=level, name=str(name), parent=parent, ring=ring)
            )
            read.area_rows.append(number)
    return read


def _derived_parent(code: str) -> str | None:
    try:
        return parent_of(code)
    except ValueError:
        return None  # its code is wrong, which check() reports


def read_geojson(file: str, data: bytes) -> MapRead:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return MapRead(
            problems=[problem(file, None, None, f"not GeoJSON: {e}", f"不是 GeoJSON：{e}")]
        )
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return MapRead(
            problems=[
                problem(
                    file,
                    None,
                    "type",
                    "not a GeoJSON FeatureCollection",
                    "不是 GeoJSON 要素集合（FeatureCollection）",
                )  # fmt: skip
            ]
        )
    crs = json.dumps(doc.get("crs")) if doc.get("crs") else None
    if crs and not any(name in crs for name in WGS84_NAMES):
        return MapRead(
            problems=[
                problem(
                    file,
                    None,
                    "crs",
                    f"coordinates must be WGS-84 longitude and latitude, not {crs}",
                    f"坐标须为 WGS-84 经纬度，而非 {crs}",
                )  # fmt: skip
            ]
        )
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        return MapRead(
            problems=[
                problem(file, None, "features", "the map has no features", "地图中没有任何要素")
            ]
        )
    return read_features(file, features)
