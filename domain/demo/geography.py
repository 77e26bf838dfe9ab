"""The demo city's map: one district, two streets, four communities, eight grid cells.

Grid codes follow CJ/T 349: county (6) + street (3) + community (3) + grid (2) digits.
Cells are 0.01 x 0.01 degree rectangles (about 960 m x 1110 m) west of West Lake, Hangzhou.
"""
from domain.geo import GridCell

DISTRICT = "330106"  # 西湖区
WEST, SOUTH, STEP = 120.10, 30.25, 0.01

STREETS = {"001": "北山街道", "002": "西溪街道"}
COMMUNITIES = {
    ("001", "001"): "保俶塔社区",
    ("001", "002"): "曙光社区",
    ("002", "001"): "文三社区",
    ("002", "002"): "教工路社区",
}


def _cells() -> list[GridCell]:
    cells = []
    for index, ((street, community), name) in enumerate(COMMUNITIES.items()):
        for grid in (1, 2):
            col, row = index, grid - 1
            # rounded so that neighbours share bit-identical edges (no float sliver in between)
            x0, y0 = round(WEST + col * STEP, 6), round(SOUTH + row * STEP, 6)
            x1, y1 = round(x0 + STEP, 6), round(y0 + STEP, 6)
            cells.append(
                GridCell(
                    code=f"{DISTRICT}{street}{community}{grid:02d}",
                    name=f"{name}第{grid}网格",
                    community=f"{DISTRICT}{street}{community}",
                    street=f"{DISTRICT}{street}",
                    district=DISTRICT,
                    ring=[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
                )
            )
    return cells


GRIDS = _cells()
