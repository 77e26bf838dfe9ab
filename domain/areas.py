"""Area codes (CJ/T 349): a district is 6 digits, a street 9, a community 12, a grid 14.

A code begins with the codes of every unit above it, so a grid's community is its first 12
digits, its street its first 9, its district its first 6, and an area contains a unit exactly
when the unit's code starts with the area's. Every slice and prefix test of a code is here.
"""

DISTRICT_DIGITS, STREET_DIGITS, COMMUNITY_DIGITS, GRID_DIGITS = 6, 9, 12, 14
LEVEL_OF_LENGTH = {
    DISTRICT_DIGITS: "district",
    STREET_DIGITS: "street",
    COMMUNITY_DIGITS: "community",
    GRID_DIGITS: "grid",
}


def district_of(code: str) -> str:
    return code[:DISTRICT_DIGITS]


def street_of(code: str) -> str:
    return code[:STREET_DIGITS]


def community_of(code: str) -> str:
    return code[:COMMUNITY_DIGITS]


def contains(area: str | None, code: str) -> bool:
    """Whether the unit `code` (a grid, community or street) lies in `area`; no area (None or
    empty) contains nothing."""
    if not area:
        return False
    return code.startswith(area)


def level_name(code: str) -> str | None:
    """district, street, community or grid, by the code's length; None for any other length."""
    return LEVEL_OF_LENGTH.get(len(code))


def units_of(grid: str) -> tuple[str, str, str, str]:
    """The grid and the community, street and district it lies in: the most specific first."""
    return grid, community_of(grid), street_of(grid), district_of(grid)
