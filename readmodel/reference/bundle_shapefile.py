"""A bundle's map as an ESRI Shapefile (map.shp with map.dbf, and map.shx, .prj, .cpg if given),
converted on import into the same features as map.geojson (pyshp, pure Python).

The attribute table (.dbf) has the GeoJSON properties as its columns, in any case: CODE, NAME,
and optionally LEVEL and PARENT (dBase names are at most 10 characters). Its text is in the
encoding the .cpg names, else UTF-8, else GBK/GB18030 (what Chinese GIS tools write). Coordinates
must be longitude/latitude on WGS-84 or CGCS2000 (.prj GEOGCS); a projected map (PROJCS, e.g.
CGCS2000 / 3-degree Gauss-Krüger) or another datum (Beijing 1954, Xian 1980) is a problem: it
needs a reprojection this importer does not do.
"""

import io
from typing import Any

import shapefile

from domain.bundle import Problem
from readmodel.reference.bundle_map import MapRead, read_features
from readmodel.reference.bundle_tables import problem

# Names a .prj's GEOGCS or DATUM has for WGS-84 and CGCS2000 (ESRI and EPSG spellings).
LONLAT_DATUMS = ("WGS_1984", "WGS 84", "WGS84", "CGCS_2000", "CGCS2000", "CHINA_2000")

Files = dict[str, tuple[str, bytes]]


def _prj_problem(name: str, prj: str) -> Problem | None:
    text = prj.upper()
    if "PROJCS" in text:
        return problem(
            name, None, "crs",
            "the map is projected (PROJCS in the .prj): export it as longitude/latitude on WGS-84 "
            "or CGCS2000 (EPSG:4326 or 4490)",
            "地图为投影坐标（.prj 含 PROJCS）：请导出为 WGS-84 或 CGCS2000 经纬度（EPSG:4326 或 4490）",
        )  # fmt: skip
    if not any(datum in text for datum in LONLAT_DATUMS):
        return problem(
            name, None, "crs",
            f"the map's datum is neither WGS-84 nor CGCS2000: {prj.strip()[:120]}",
            f"地图的大地基准既不是 WGS-84 也不是 CGCS2000：{prj.strip()[:120]}",
        )  # fmt: skip
    return None


def _encodings(files: Files, stem: str) -> list[str]:
    cpg = files.get(f"{stem}.cpg")
    named = cpg[1].decode("ascii", errors="ignore").strip() if cpg else ""
    if named.isdigit():  # ESRI writes code pages as numbers: 936 is GBK
        named = f"cp{named}"
    return [e for e in (named, "utf-8", "gb18030") if e]


def _features(files: Files, stem: str, encoding: str) -> list[dict[str, Any]]:
    shx = files.get(f"{stem}.shx")
    reader = shapefile.Reader(
        shp=io.BytesIO(files[f"{stem}.shp"][1]),
        dbf=io.BytesIO(files[f"{stem}.dbf"][1]),
        shx=io.BytesIO(shx[1]) if shx else None,
        encoding=encoding,
    )
    features = []
    with reader:
        for shape_record in reader.iterShapeRecords():
            properties = {k.lower(): v for k, v in shape_record.record.as_dict().items()}
            try:
                geometry = shape_record.shape.__geo_interface__
            except Exception:  # a null or unsupported shape: read_features names it
                geometry = None
            features.append({"properties": properties, "geometry": geometry})
    return features


def read_shapefile(files: Files, stem: str = "map") -> MapRead:
    """The map's areas and cells, features numbered from 1 in the shapefile's order."""
    name = files[f"{stem}.shp"][0]
    if f"{stem}.dbf" not in files:
        return MapRead(
            problems=[
                problem(
                    f"{stem}.dbf",
                    None,
                    None,
                    f"{name} needs its attribute table {stem}.dbf (code, name …)",
                    f"{name} 缺少属性表 {stem}.dbf（code、name 等）",
                )  # fmt: skip
            ]
        )
    if f"{stem}.prj" in files:
        wrong = _prj_problem(name, files[f"{stem}.prj"][1].decode("utf-8", errors="replace"))
        if wrong:
            return MapRead(problems=[wrong])
    errors: list[Exception] = []
    for encoding in _encodings(files, stem):
        try:
            features = _features(files, stem, encoding)
        except Exception as e:  # pyshp's errors (a wrong encoding among them) are many
            errors.append(e)
            continue
        return read_features(name, features)
    return MapRead(
        problems=[
            problem(
                name,
                None,
                None,
                f"not a readable shapefile: {errors[0]}",
                f"无法读取该 Shapefile：{errors[0]}",
            )
        ]
    )
