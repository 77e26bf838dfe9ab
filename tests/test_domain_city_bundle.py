"""A city bundle's files: the demo city and the county sample read and check clean; XLSX reads as
CSV does, a .zip as its folder; what cannot be read is a problem naming file, row and column."""

import zipfile
from pathlib import Path

from openpyxl import Workbook

from domain.bundle_check import check
from domain.bundle_export import bundle_texts
from domain.demo.make_bundle import demo_bundle
from readmodel.reference.bundle_files import load, read_bundle
from tests.bundle_edits import (
    COUNTY,
    DEMO,
    add_row,
    county_copy,
    only,
    problems_of,
    read_csv,
    set_cell,
)

PARTS = ["areas", "grids", "departments", "classes", "subclasses", "routing", "deadlines", "users"]


def dumped(bundle, part):
    return sorted((item.model_dump() for item in getattr(bundle, part)), key=repr)


def test_the_demo_city_is_a_bundle_that_checks_clean_and_holds_the_demo_modules():
    bundle, problems = load(DEMO)
    assert problems == []
    expected = demo_bundle()
    for part in PARTS:
        assert dumped(bundle, part) == dumped(expected, part), part
    assert len(bundle.grids) == 71 and len(bundle.users) == 22
    # the committed files are what make_bundle writes today
    for name, text in bundle_texts(expected).items():
        assert (DEMO / name).read_text(encoding="utf-8-sig") == text, (
            f"{name} is out of date: python -m domain.demo.make_bundle"
        )


def test_the_county_sample_checks_clean_and_is_another_city():
    county, problems = load(COUNTY)
    assert problems == []
    demo = demo_bundle()
    assert {g.district for g in county.grids} == {"330127"}
    assert len(county.grids) == 8 and len([a for a in county.areas if a.level == "community"]) == 4
    assert {d.code for d in county.departments}.isdisjoint({d.code for d in demo.departments})
    assert {u.user_id for u in county.users}.isdisjoint({u.user_id for u in demo.users})
    assert next(u for u in county.users if u.user_id == "ye").password is None


def _to_xlsx(folder: Path, *, numbers: bool) -> None:
    """Each CSV of the folder as an XLSX (and the CSV removed); numbers typed as numbers."""
    for path in sorted(folder.glob("*.csv")):
        book = Workbook()
        sheet = book.active
        for row in read_csv(path):
            sheet.append([int(v) if numbers and v.isdigit() else v for v in row])
        book.save(path.with_suffix(".xlsx"))
        path.unlink()


def test_xlsx_tables_read_as_their_csv(tmp_path):
    csv_bundle, _ = read_bundle(COUNTY)
    folder = county_copy(tmp_path)
    _to_xlsx(folder, numbers=True)  # area codes, priorities and amounts as numeric cells
    xlsx_bundle, problems = load(folder)
    assert problems == []
    for part in PARTS:
        assert dumped(xlsx_bundle, part) == dumped(csv_bundle, part), part
    assert xlsx_bundle.files["users"] == "users.xlsx"
    assert xlsx_bundle.rows["routing"] == csv_bundle.rows["routing"]


def test_an_xlsx_problem_names_the_xlsx_file_and_its_row(tmp_path):
    folder = county_copy(tmp_path)
    set_cell(folder, "users.csv", 4, "department", "nowhere")
    _to_xlsx(folder, numbers=False)
    problem = only(problems_of(folder), file="users.xlsx", row=4, field="department")
    assert "nowhere" in problem.message and "nowhere" in problem.message_zh


def test_a_zip_reads_as_its_folder_even_with_a_folder_inside(tmp_path):
    archive = tmp_path / "county.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in COUNTY.iterdir():
            z.write(path, f"county-bundle/{path.name}")
        z.writestr("__MACOSX/county-bundle/._users.csv", b"\0\0junk")
    from_zip, problems = load(archive)
    assert problems == []
    from_folder, _ = read_bundle(COUNTY)
    for part in PARTS:
        assert dumped(from_zip, part) == dumped(from_folder, part), part


def test_neither_a_folder_nor_a_zip_is_a_problem(tmp_path):
    junk = tmp_path / "bundle.zip"
    junk.write_bytes(b"not a zip")
    _, problems = load(junk)
    assert [p.file for p in problems] == ["bundle.zip"]


def test_a_missing_file_is_a_problem_and_the_rest_is_still_read_and_checked(tmp_path):
    folder = county_copy(tmp_path)
    (folder / "departments.csv").unlink()
    set_cell(folder, "users.csv", 2, "role", "mayor")  # a problem elsewhere is still found
    bundle, problems = load(folder)
    missing = only(problems, file="departments.csv")
    assert "missing" in missing.message and "departments.xlsx" in missing.message
    only(problems, file="users.csv", row=2, field="role")
    # references to departments are not each called unknown: the file itself is the problem
    assert len(problems) == 2
    assert len(bundle.routing) == 8


def test_deadlines_are_optional(tmp_path):
    folder = county_copy(tmp_path)
    (folder / "deadlines.csv").unlink()
    bundle, problems = load(folder)
    assert problems == [] and bundle.deadlines == []


def test_a_table_given_twice_is_a_problem(tmp_path):
    folder = county_copy(tmp_path)
    (folder / "users.xlsx").write_bytes(b"")
    problem = only(problems_of(folder), file="users.csv and users.xlsx")
    assert "keep one" in problem.message


def test_a_bad_header_names_the_unknown_and_the_missing_column(tmp_path):
    folder = county_copy(tmp_path)
    set_cell(folder, "departments.csv", 1, "name", "nmae")
    problems = problems_of(folder)
    assert "unknown column 'nmae'" in only(problems, file="departments.csv", field="nmae").message
    assert only(problems, file="departments.csv", row=1, field="name").message == (
        "required column 'name' is missing"
    )


def test_bad_numbers_dates_and_choices_name_their_row_and_column(tmp_path):
    folder = county_copy(tmp_path)
    set_cell(folder, "routing.csv", 3, "priority", "high")
    set_cell(folder, "routing.csv", 3, "effective_from", "2025/01/01")  # same row: both named
    set_cell(folder, "deadlines.csv", 2, "amount", "one")
    set_cell(folder, "deadlines.csv", 4, "unit", "weeks")
    row = add_row(folder, "catalogue.csv", code="C0199", name_zh="x", duplicate_radius_m="-5")
    problems = problems_of(folder)
    assert "'high' is not a whole number" in only(problems, row=3, field="priority").message
    assert "YYYY-MM-DD" in only(problems, row=3, field="effective_from").message
    assert only(problems, file="deadlines.csv", row=2, field="amount")
    assert "working_days" in only(problems, file="deadlines.csv", row=4, field="unit").message
    assert only(problems, file="catalogue.csv", row=row, field="duplicate_radius_m")


def test_an_empty_required_cell_and_a_stray_cell_are_problems(tmp_path):
    folder = county_copy(tmp_path)
    set_cell(folder, "departments.csv", 3, "name", "")
    with (folder / "departments.csv").open("a", encoding="utf-8") as f:
        f.write("extra,Extra bureau,surplus\n")
    problems = problems_of(folder)
    assert only(problems, file="departments.csv", row=3, field="name").message == (
        "required, but empty"
    )
    assert "more cells" in only(problems, file="departments.csv", row=8).message


def test_a_map_that_is_not_geojson_is_a_problem(tmp_path):
    folder = county_copy(tmp_path)
    (folder / "map.geojson").write_text('{"type": "FeatureCollection", "features": [', "utf-8")
    bundle, problems = load(folder)
    assert "not GeoJSON" in only(problems, file="map.geojson").message
    assert bundle.grids == []
    # users' grids and rules' areas are not each called unknown
    assert len(problems) == 1


def test_check_is_pure_and_finds_nothing_in_an_empty_bundle():
    from domain.bundle import Bundle

    assert check(Bundle()) == []


def test_odd_files_are_problems_not_crashes(tmp_path):
    folder = county_copy(tmp_path)
    (folder / "users.csv").unlink()
    (folder / "users.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "routing.csv").write_bytes(bytes(range(256)))
    (folder / "map.geojson").write_text(
        '{"type":"FeatureCollection","features":[5, {"properties": null, "geometry": null},'
        '{"properties": {"code": "330127", "name": 7, "level": ["x"]},'
        ' "geometry": {"type": "Polygon", "coordinates": [[["a", 1]]]}}]}',
        encoding="utf-8",
    )
    bundle, problems = load(folder)
    assert "not a readable XLSX" in only(problems, file="users.xlsx").message
    assert "routing.csv" in {p.file for p in problems}
    assert sorted((p.row, p.field) for p in problems if p.file == "map.geojson") == sorted({
        (1, "code"), (1, "name"), (1, "geometry"), (2, "code"), (2, "name"), (2, "geometry"),
        (3, "level"), (3, "geometry"),
    })  # fmt: skip
    assert bundle.areas == bundle.grids == bundle.users == []


def test_a_map_without_features_is_a_problem(tmp_path):
    folder = county_copy(tmp_path)
    (folder / "map.geojson").write_text('{"type":"FeatureCollection","features":[]}', "utf-8")
    problems = problems_of(folder)
    assert only(problems, file="map.geojson").message == "the map has no features"
    assert len(problems) == 1
