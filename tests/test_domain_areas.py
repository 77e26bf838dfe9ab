"""Area codes (domain/areas.py): a grid's community, street and district, and which area contains
which grid, agree with the demo city's map, and no area contains nothing."""

from domain.areas import community_of, contains, district_of, level_name, street_of, units_of
from domain.demo.geography import AREAS, GRIDS
from domain.geo import Level


def test_a_grid_names_the_units_it_lies_in_as_the_map_does() -> None:
    for cell in GRIDS:
        assert (community_of(cell.code), street_of(cell.code), district_of(cell.code)) == (
            cell.community,
            cell.street,
            cell.district,
        )
        assert units_of(cell.code) == (cell.code, cell.community, cell.street, cell.district)
    for area in AREAS:
        assert level_name(area.code) == area.level.value
    assert {level_name(cell.code) for cell in GRIDS} == {"grid"}
    assert level_name("3301") is None


def test_an_area_contains_exactly_its_own_grids() -> None:
    for area in AREAS:
        inside = {cell.code for cell in GRIDS if contains(area.code, cell.code)}
        parent = {Level.DISTRICT: "district", Level.STREET: "street", Level.COMMUNITY: "community"}[
            area.level
        ]
        assert inside == {cell.code for cell in GRIDS if getattr(cell, parent) == area.code}
        assert inside


def test_no_area_contains_nothing() -> None:
    """A supervisor without an area oversees no grid (fail closed), whatever the grid's code."""
    for cell in GRIDS:
        assert not contains(None, cell.code)
        assert not contains("", cell.code)
