"""Each check of a city bundle, on a deliberately broken copy of the county sample: the problem
names its file, its row or feature, and its field; every problem is found, not only the first.

The county's grid 33012700100101 is the box 119.020–119.026 E × 29.6000–29.6055 N, its
neighbour 33012700100102 the box above it up to 29.612 N; together they are community
330127001001.
"""

import math

from tests.bundle_edits import (
    add_row,
    county_copy,
    edit_map,
    feature,
    only,
    problems_of,
    reshape,
    set_cell,
)

CELL, ABOVE, COMMUNITY = "33012700100101", "33012700100102", "330127001001"
M_PER_DEG = math.pi / 180 * 6_371_008.8


def _box(west, south, east, north):
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


def _m2(d_lon, d_lat, lat=29.606):
    return d_lon * M_PER_DEG * math.cos(math.radians(lat)) * d_lat * M_PER_DEG


def _area_in(message: str) -> float:
    return float(message.split(" m²")[0].split()[-1].replace(",", ""))


def test_a_grid_whose_parent_is_not_its_code_prefix(tmp_path):
    folder = county_copy(tmp_path)
    edit_map(folder, lambda fs: feature(fs, CELL)["properties"].update(parent="330127002001"))
    problem = only(problems_of(folder), feature=CELL, field="parent")
    assert problem.file == "map.geojson" and problem.row == 8  # the 8th feature
    assert "330127001001" in problem.message and "前 12 位" in problem.message_zh


def test_a_code_of_the_wrong_length_for_its_level(tmp_path):
    folder = county_copy(tmp_path)
    edit_map(folder, lambda fs: feature(fs, CELL)["properties"].update(code="3301270010011"))
    problem = only(problems_of(folder), feature="3301270010011", field="code")
    assert "not a grid code (14 digits)" in problem.message


def test_a_parent_missing_from_the_map(tmp_path):
    folder = county_copy(tmp_path)

    def move(features):
        feature(features, CELL)["properties"].update(code="33012700100901", parent="330127001009")

    edit_map(folder, move)
    problems = problems_of(folder)
    assert "330127001009 is not in the map" in only(problems, feature="33012700100901").message
    # and the community it left has a hole where it was
    assert "gap" in only(problems, feature=COMMUNITY).message


def test_duplicate_codes_in_the_map_and_the_tables(tmp_path):
    folder = county_copy(tmp_path)
    edit_map(folder, lambda fs: fs.append(feature(fs, ABOVE)))
    row = add_row(folder, "departments.csv", code="zhzf", name="又一个执法局")
    users = add_row(folder, "users.csv", user_id="fang", name="方二", role="admin")
    problems = problems_of(folder)
    assert "repeats (first at feature #9)" in only(problems, row=16, field="code").message
    assert (
        "zhzf repeats (first in row 2)" in only(problems, file="departments.csv", row=row).message
    )
    assert only(problems, file="users.csv", row=users).message == (
        "user id fang repeats (first in row 2)"
    )


def test_overlapping_cells_name_both_codes_and_the_area(tmp_path):
    folder = county_copy(tmp_path)
    # the cell reaches 0.001° (about 111 m) into the one above it
    reshape(folder, CELL, _box(119.020, 29.600, 119.026, 29.6065))
    problems = problems_of(folder)
    problem = only(problems, feature=CELL, field="geometry")
    assert CELL in problem.message and ABOVE in problem.message and "overlap" in problem.message
    assert _area_in(problem.message) == round(_m2(0.006, 0.001))
    assert len(problems) == 1


def test_a_sliver_of_overlap_is_not_a_problem(tmp_path):
    folder = county_copy(tmp_path)
    # 1e-7° of latitude along 580 m is 6 m² of overlap: reported; 1e-8°, 0.6 m²: a sliver
    reshape(folder, CELL, _box(119.020, 29.600, 119.026, 29.6055001))
    assert len(problems_of(folder)) == 1
    reshape(folder, CELL, _box(119.020, 29.600, 119.026, 29.60550001))
    assert problems_of(folder) == []


def test_a_gap_inside_a_community_names_the_community_and_its_area(tmp_path):
    folder = county_copy(tmp_path)
    reshape(folder, ABOVE, _box(119.020, 29.6055, 119.026, 29.611))
    problems = problems_of(folder)
    problem = only(problems, feature=COMMUNITY, field="geometry")
    assert "gap" in problem.message and "空隙" in problem.message_zh
    assert _area_in(problem.message) == round(_m2(0.006, 0.001))
    assert "119.02" in problem.message  # where to look
    assert len(problems) == 1


def test_a_self_intersecting_cell_is_invalid_geometry(tmp_path):
    folder = county_copy(tmp_path)
    bowtie = [[[119.020, 29.6055], [119.026, 29.612], [119.026, 29.6055], [119.020, 29.612], [119.020, 29.6055]]]  # fmt: skip
    reshape(folder, ABOVE, bowtie)
    problems = problems_of(folder)
    problem = only(problems, feature=ABOVE, field="geometry")
    assert problem.message.startswith("invalid geometry: Self-intersection")
    assert len(problems) == 1  # its community is not said to have a gap the size of the cell


def test_a_cell_outside_its_district(tmp_path):
    folder = county_copy(tmp_path)
    far = "33012700200202"  # the north-east cell, moved 0.01° further east
    reshape(folder, far, _box(119.048, 29.6058, 119.054, 29.612))
    problems = problems_of(folder)
    assert "outside its district 330127" in only(problems, feature=far, field="geometry").message
    assert "gap" in only(problems, feature="330127002002").message


def test_coordinates_that_are_not_longitude_and_latitude(tmp_path):
    folder = county_copy(tmp_path)
    metres = _box(40_500_000, 3_276_000, 40_500_580, 3_276_600)  # CGCS2000 Gauss-Krüger
    reshape(folder, CELL, metres)
    problem = only(problems_of(folder), feature=CELL, field="geometry")
    assert "not WGS-84" in problem.message


def test_a_feature_that_is_not_a_polygon_or_has_no_code(tmp_path):
    folder = county_copy(tmp_path)

    def break_two(features):
        feature(features, CELL)["geometry"] = {"type": "Point", "coordinates": [119.02, 29.6]}
        del feature(features, ABOVE)["properties"]["code"]

    edit_map(folder, break_two)
    problems = problems_of(folder)
    assert "expected a Polygon, got Point" in only(problems, feature=CELL).message
    assert only(problems, file="map.geojson", row=9, field="code").message == "no code"


def test_a_routing_rule_naming_an_unknown_department_category_and_area(tmp_path):
    folder = county_copy(tmp_path)
    row = add_row(
        folder,
        "routing.csv",
        rule_id="CA-X",
        category="E0999",
        department="police",
        area="330127009",
    )
    problems = problems_of(folder)
    assert "unknown department police" in only(problems, row=row, field="department").message
    assert "unknown category E0999" in only(problems, row=row, field="category").message
    assert "unknown area 330127009" in only(problems, row=row, field="area").message
    assert len(problems) == 3


def test_a_deadline_rule_naming_an_unknown_category(tmp_path):
    folder = county_copy(tmp_path)
    set_cell(folder, "deadlines.csv", 3, "category", "C02")  # a big class, not a sub-class
    problem = only(problems_of(folder), file="deadlines.csv", row=3, field="category")
    assert "unknown sub-class C02" in problem.message


def test_users_in_unknown_grids_departments_roles_and_areas(tmp_path):
    folder = county_copy(tmp_path)
    set_cell(folder, "users.csv", 2, "grids", "33012700100101, 33012700100199")
    set_cell(folder, "users.csv", 4, "department", "fire")
    set_cell(folder, "users.csv", 5, "role", "mayor")
    set_cell(folder, "users.csv", 10, "area", "330128")
    problems = problems_of(folder)
    assert "unknown grid 33012700100199" in only(problems, row=2, field="grids").message
    assert "unknown department fire" in only(problems, row=4, field="department").message
    assert "unknown role 'mayor'" in only(problems, row=5, field="role").message
    assert "unknown area 330128" in only(problems, row=10, field="area").message
    assert len(problems) == 4


def test_a_role_without_what_it_needs_and_an_id_the_api_would_refuse(tmp_path):
    folder = county_copy(tmp_path)
    set_cell(folder, "users.csv", 2, "grids", "")  # fang, a grid worker
    set_cell(folder, "users.csv", 4, "department", "")  # xu, department staff
    set_cell(folder, "users.csv", 5, "user_id", "胡 hu")
    problems = problems_of(folder)
    assert only(problems, row=2, field="grids").message == "a grid worker needs at least one grid"
    assert only(problems, row=4, field="department").message == (
        "department staff need a department"
    )
    assert "pattern" in only(problems, row=5, field="user_id").message
    assert len(problems) == 3


def test_a_catalogue_subclass_without_its_big_class_or_with_an_unknown_department(tmp_path):
    folder = county_copy(tmp_path)
    row = add_row(
        folder, "catalogue.csv", code="E0401", name_zh="消防通道堵塞", default_department="xfj"
    )
    problems = problems_of(folder)
    assert "big class E04" in only(problems, row=row, field="code").message
    assert "unknown department xfj" in only(problems, row=row, field="default_department").message


def test_every_problem_is_found_in_every_file(tmp_path):
    folder = county_copy(tmp_path)
    set_cell(folder, "routing.csv", 2, "department", "police")
    set_cell(folder, "users.csv", 3, "role", "mayor")
    edit_map(folder, lambda fs: feature(fs, CELL)["properties"].update(parent="330127002001"))
    files = {p.file for p in problems_of(folder)}
    assert files == {"routing.csv", "users.csv", "map.geojson"}


def test_a_district_with_a_parent(tmp_path):
    folder = county_copy(tmp_path)
    edit_map(folder, lambda fs: feature(fs, "330127")["properties"].update(parent="330100"))
    problem = only(problems_of(folder), feature="330127", field="parent")
    assert problem.message == "a district has no parent (not 330100)" and problem.row == 1
