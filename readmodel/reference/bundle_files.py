"""Read a city bundle from a directory or a .zip: map.geojson (or map.shp), departments,
catalogue, routing, deadlines (optional) and users, each table as .csv or .xlsx
(docs/city-bundle.md).

Nothing here raises on a bad bundle: whatever cannot be read is a Problem with its file, row and
column, and the rest is read all the same, so one pass names every problem. `load` adds the
checks of domain/bundle_check.py. Nothing is written anywhere.
"""

import zipfile
from pathlib import Path, PurePosixPath

from domain.bundle import COLUMNS, FILES, OPTIONAL_FILES, Bundle, Problem
from domain.bundle_check import check
from domain.categories import BigClass
from readmodel.reference.bundle_map import MapRead, read_geojson
from readmodel.reference.bundle_rows import read_rows
from readmodel.reference.bundle_shapefile import read_shapefile
from readmodel.reference.bundle_tables import problem, read_table

TABLE_SUFFIXES = (".csv", ".xlsx")
MAP_SUFFIXES = (".geojson", ".shp")  # a shapefile brings its .dbf (.shx, .prj, .cpg)
# A bundle's files by lower-case name: (the name as given, its bytes).
Files = dict[str, tuple[str, bytes]]


def load(path: Path) -> tuple[Bundle, list[Problem]]:
    """The bundle and every problem with it: what could not be read, then what check() finds."""
    bundle, problems = read_bundle(path)
    return bundle, problems + check(bundle)


def _files(path: Path) -> tuple[Files, list[Problem]]:
    files: Files = {}
    if path.is_dir():
        for p in sorted(path.iterdir()):
            if p.is_file():
                files[p.name.lower()] = (p.name, p.read_bytes())
        return files, []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = PurePosixPath(info.filename)
                if info.is_dir() or "__MACOSX" in name.parts or name.name.startswith("."):
                    continue
                if name.name.lower() in files:  # the same file in two folders of the archive
                    return {}, [
                        problem(
                            name.name,
                            None,
                            None,
                            f"{info.filename} is in the archive twice",
                            f"压缩包中有两个 {name.name}",
                        )  # fmt: skip
                    ]
                files[name.name.lower()] = (name.name, archive.read(info))
    except (OSError, zipfile.BadZipFile) as e:
        return {}, [
            problem(
                path.name,
                None,
                None,
                f"neither a directory nor a .zip: {e}",
                f"既不是目录也不是 .zip 压缩包：{e}",
            )
        ]
    return files, []


def _pick(files: Files, part: str, bundle: Bundle) -> tuple[str, bytes] | list[Problem]:
    """The one file of a part, or the problem with it (none, or more than one)."""
    stem = PurePosixPath(FILES[part]).stem
    suffixes = MAP_SUFFIXES if part == "map" else TABLE_SUFFIXES
    found = [files[stem + s] for s in suffixes if stem + s in files]
    if len(found) == 1:
        bundle.files[part] = found[0][0]
        return found[0]
    bundle.unread.add(part)
    names = " / ".join(stem + s for s in suffixes)
    if len(found) > 1:
        given = " and ".join(name for name, _ in found)
        return [problem(given, None, None, f"{given}: keep one", f"{given} 只能保留一个")]
    if part in OPTIONAL_FILES:
        return []
    return [
        problem(
            FILES[part], None, None, f"required file {names} is missing", f"缺少必需文件 {names}"
        )
    ]


def read_bundle(path: Path) -> tuple[Bundle, list[Problem]]:
    """The bundle as far as it can be read, and why the rest cannot."""
    bundle = Bundle()
    files, problems = _files(path)
    if problems:
        bundle.unread.update(FILES)
        return bundle, problems
    for part in FILES:
        picked = _pick(files, part, bundle)
        if isinstance(picked, list):
            problems += picked
            continue
        name, data = picked
        if part == "map":
            is_shapefile = name.lower().endswith(".shp")
            read = read_shapefile(files) if is_shapefile else read_geojson(name, data)
            problems += _read_map(bundle, read)
            continue
        table, table_problems = read_table(name, data, COLUMNS[part])
        problems += table_problems
        if table is None:
            bundle.unread.add(part)
            continue
        items, row_problems = read_rows(table, part)
        problems += row_problems
        if part == "catalogue":
            bundle.rows.update(classes=[], subclasses=[])
            for number, item in items:
                kind = "classes" if isinstance(item, BigClass) else "subclasses"
                getattr(bundle, kind).append(item)
                bundle.rows.setdefault(kind, []).append(number)
        else:
            getattr(bundle, part).extend(item for _, item in items)
            bundle.rows[part] = [number for number, _ in items]
    return bundle, problems


def _read_map(bundle: Bundle, read: MapRead) -> list[Problem]:
    if read.problems and not (read.areas or read.grids):
        bundle.unread.add("map")
    bundle.areas, bundle.grids = read.areas, read.grids
    bundle.rows["areas"], bundle.rows["grids"] = read.area_rows, read.grid_rows
    return read.problems
