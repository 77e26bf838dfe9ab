"""Broken copies of the county sample bundle, for the city bundle tests: edit a cell of a table,
add a row, change a map feature; then read and check the copy."""

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.bundle import Problem
from readmodel.reference.bundle_files import load

ROOT = Path(__file__).resolve().parent.parent
COUNTY = ROOT / "docs" / "samples" / "county-bundle"
DEMO = ROOT / "domain" / "demo" / "bundle"


def county_copy(tmp_path: Path) -> Path:
    target = tmp_path / "county"
    shutil.copytree(COUNTY, target)
    return target


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def set_cell(bundle: Path, file: str, row: int, column: str, value: str) -> None:
    """Row as a spreadsheet numbers it: the header is row 1."""
    rows = read_csv(bundle / file)
    rows[row - 1][rows[0].index(column)] = value
    write_csv(bundle / file, rows)


def add_row(bundle: Path, file: str, **cells: str) -> int:
    """Append a row; returns its spreadsheet row number."""
    rows = read_csv(bundle / file)
    rows.append([cells.get(column, "") for column in rows[0]])
    write_csv(bundle / file, rows)
    return len(rows)


def edit_map(bundle: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    doc = json.loads((bundle / "map.geojson").read_text(encoding="utf-8"))
    change(doc["features"])
    (bundle / "map.geojson").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def feature(features: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(f for f in features if f["properties"]["code"] == code)


def problems_of(bundle: Path) -> list[Problem]:
    _, problems = load(bundle)
    for p in problems:  # every problem is told in Chinese too
        assert p.message and any("\u4e00" <= ch <= "\u9fff" for ch in p.message_zh), p
    return problems


def only(problems: list[Problem], **where: Any) -> Problem:
    """The one problem at this file / row / feature / field."""
    found = [p for p in problems if all(getattr(p, k) == v for k, v in where.items())]
    assert len(found) == 1, (where, [str(p) for p in problems])
    return found[0]


def reshape(bundle: Path, code: str, coordinates: list) -> None:
    """Give the feature with this code a new Polygon."""
    geometry = {"type": "Polygon", "coordinates": coordinates}
    edit_map(bundle, lambda features: feature(features, code).update(geometry=geometry))
