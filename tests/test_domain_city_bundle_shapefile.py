"""A bundle's map as an ESRI Shapefile reads as its GeoJSON; a projected map, another datum or a
missing attribute table are problems, not crashes."""

import json
from pathlib import Path

import shapefile

from readmodel.reference.bundle_files import load, read_bundle
from tests.bundle_edits import (
    COUNTY,
    county_copy,
    edit_map,
    feature,
    only,
    problems_of,
    set_cell,
)

WGS84_PRJ = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)
CGCS2000_GK_PRJ = (
    'PROJCS["CGCS2000_3_Degree_GK_Zone_40",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]],'
    'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0]]'
)
BEIJING54_PRJ = 'GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940"]]]'


def _as_shapefile(folder: Path, *, encoding: str = "utf-8", cpg: str | None = "UTF-8") -> None:
    """Replace the folder's map.geojson by map.shp/.shx/.dbf/.prj (exterior rings clockwise, as
    ESRI writes them; upper-case dBase column names, as GIS tools write them)."""
    doc = json.loads((folder / "map.geojson").read_text(encoding="utf-8"))
    with shapefile.Writer(str(folder / "map"), shapeType=shapefile.POLYGON, encoding=encoding) as w:
        for name, size in (("CODE", 14), ("NAME", 50), ("LEVEL", 10), ("PARENT", 14)):
            w.field(name, "C", size=size)
        for f in doc["features"]:
            w.poly([list(reversed(f["geometry"]["coordinates"][0]))])
            p = f["properties"]
            w.record(p["code"], p["name"], p["level"], p["parent"] or "")
    (folder / "map.prj").write_text(WGS84_PRJ, encoding="ascii")
    if cpg is not None:
        (folder / "map.cpg").write_text(cpg, encoding="ascii")
    (folder / "map.geojson").unlink()


def _units(bundle):
    return sorted(
        (u.code, u.name, u.parent if hasattr(u, "parent") else u.community, len(u.ring))
        for u in [*bundle.areas, *bundle.grids]
    )


def test_a_shapefile_map_reads_as_its_geojson(tmp_path):
    folder = county_copy(tmp_path)
    _as_shapefile(folder)
    from_shapefile, problems = load(folder)
    assert problems == []
    from_geojson, _ = read_bundle(COUNTY)
    assert _units(from_shapefile) == _units(from_geojson)
    assert from_shapefile.files["map"] == "map.shp"
    assert "新安社区第1网格" in {g.name for g in from_shapefile.grids}


def test_a_gbk_attribute_table_is_read_in_chinese_with_or_without_its_cpg(tmp_path):
    for cpg in ("936", None):
        folder = county_copy(tmp_path / (cpg or "none"))
        _as_shapefile(folder, encoding="gbk", cpg=cpg)
        bundle, problems = load(folder)
        assert problems == [], cpg
        assert "新安社区第1网格" in {g.name for g in bundle.grids}, cpg


def test_a_shapefile_problem_names_the_shapefile_and_the_feature(tmp_path):
    folder = county_copy(tmp_path)
    cell = "33012700100101"
    edit_map(folder, lambda fs: feature(fs, cell)["properties"].update(parent="330127002001"))
    _as_shapefile(folder)
    set_cell(folder, "users.csv", 2, "grids", "33012700100199")
    problems = problems_of(folder)
    assert only(problems, file="map.shp", feature=cell, field="parent").row == 8
    assert "not in map.shp" in only(problems, file="users.csv", row=2, field="grids").message


def test_a_projected_shapefile_or_another_datum_is_a_problem(tmp_path):
    for name, prj, says in (
        ("gk", CGCS2000_GK_PRJ, "projected"),
        ("bj54", BEIJING54_PRJ, "neither WGS-84 nor CGCS2000"),
    ):
        folder = county_copy(tmp_path / name)
        _as_shapefile(folder)
        (folder / "map.prj").write_text(prj, encoding="ascii")
        problems = problems_of(folder)
        assert says in only(problems, file="map.shp", field="crs").message
        assert len(problems) == 1  # no grid called unknown for want of a map


def test_a_shapefile_without_its_attribute_table_is_a_problem(tmp_path):
    folder = county_copy(tmp_path)
    _as_shapefile(folder)
    (folder / "map.dbf").unlink()
    problem = only(problems_of(folder), file="map.dbf")
    assert "attribute table" in problem.message


def test_a_broken_shapefile_is_a_problem(tmp_path):
    folder = county_copy(tmp_path)
    _as_shapefile(folder)
    (folder / "map.shp").write_bytes(b"\0" * 50)
    assert "not a readable shapefile" in only(problems_of(folder), file="map.shp").message
