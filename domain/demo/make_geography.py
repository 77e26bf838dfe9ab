"""Generate the demo city's grid map: `python -m domain.demo.make_geography` writes
domain/demo/geography.geojson (deterministic: the same seed gives the same bytes).

A synthetic part of 西湖区 west of West Lake, Hangzhou (WGS-84, lon 120.08–120.16, lat
30.24–30.30; the lake's corner, south-east, is left out). The grid cells are a jittered lattice
of 10 x 8 cells (about 770 m x 830 m each): every lattice vertex is moved at random, and every
lattice edge bends at a random point, so cells are irregular octagons. Both cells on either side
of an edge are built from the same rounded vertices, so neighbours share identical edges: no gap,
no overlap. Communities are hand-drawn groups of cells (MAP below), streets groups of communities;
their polygons are the unions of their cells.
"""

import json
import random
from pathlib import Path

import shapely
from shapely.geometry import Polygon

from domain.areas import community_of, street_of
from domain.geo import Area, GridCell, Level, feature_collection

SEED = 20250930
DISTRICT, DISTRICT_NAME = "330106", "西湖区"
WEST, SOUTH = 120.08, 30.24
COLS, ROWS = 10, 8
DX, DY = 0.008, 0.0075  # degrees per lattice step
CORNER_JITTER = 0.18  # of a step, in each axis
BEND_ALONG, BEND_ACROSS = 0.12, 0.10  # where an edge bends: along it (± from the middle), across
DIGITS = 6  # ~0.1 m

Point2 = tuple[float, float]  # (lon, lat)
Corners = dict[tuple[int, int], Point2]  # lattice vertex (i, j)
Bends = dict[tuple[str, int, int], Point2]  # ("h" or "v", i, j): the edge east or north of (i, j)

# Rows from north (top) to south; columns from west to east; "." is not mapped (West Lake).
MAP = """
A A B B B F F G G G
A A B B F F F G G H
C C C D D E E I H H
C C D D D E E I I M
J J K K K L L M M M
J J K K N L L . . .
O O O N N P P . . .
O O N N N P P . . .
"""

STREETS = {
    "001": "北山街道",
    "002": "西溪街道",
    "003": "古荡街道",
    "004": "灵隐街道",
}
# letter -> (street, community, name)
COMMUNITIES = {
    "M": ("001", "001", "保俶塔社区"),
    "I": ("001", "002", "曙光社区"),
    "E": ("001", "003", "宝石社区"),
    "L": ("001", "004", "金沙港社区"),
    "P": ("001", "005", "茅家埠社区"),
    "F": ("002", "001", "文三社区"),
    "G": ("002", "002", "教工路社区"),
    "H": ("002", "003", "西溪新村社区"),
    "A": ("003", "001", "嘉绿苑社区"),
    "B": ("003", "002", "古荡新村社区"),
    "C": ("003", "003", "万塘社区"),
    "D": ("003", "004", "古荡湾社区"),
    "J": ("004", "001", "玉泉社区"),
    "K": ("004", "002", "灵峰社区"),
    "N": ("004", "003", "灵隐社区"),
    "O": ("004", "004", "白乐桥社区"),
}

OUT = Path(__file__).with_name("geography.geojson")


def _layout() -> dict[tuple[int, int], str]:
    """(col, row) → community letter; row 0 is the southernmost."""
    lines = [line.split() for line in MAP.strip().splitlines()]
    assert len(lines) == ROWS and all(len(line) == COLS for line in lines)
    return {
        (col, ROWS - 1 - top): letter
        for top, line in enumerate(lines)
        for col, letter in enumerate(line)
        if letter != "."
    }


def _lattice(rng: random.Random) -> tuple[Corners, Bends]:
    corners: Corners = {}
    for i in range(COLS + 1):
        for j in range(ROWS + 1):
            corners[i, j] = (
                WEST + (i + rng.uniform(-CORNER_JITTER, CORNER_JITTER)) * DX,
                SOUTH + (j + rng.uniform(-CORNER_JITTER, CORNER_JITTER)) * DY,
            )

    def bend(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
        t = 0.5 + rng.uniform(-BEND_ALONG, BEND_ALONG)
        s = rng.uniform(-BEND_ACROSS, BEND_ACROSS)
        (x0, y0), (x1, y1) = a, b
        # across: perpendicular in lattice units, so the bend is proportionate in both axes
        ux, uy = (x1 - x0) / DX, (y1 - y0) / DY
        return (x0 + t * (x1 - x0) - s * uy * DX, y0 + t * (y1 - y0) + s * ux * DY)

    bends: Bends = {}
    for i in range(COLS + 1):
        for j in range(ROWS + 1):
            if i < COLS:
                bends["h", i, j] = bend(corners[i, j], corners[i + 1, j])
            if j < ROWS:
                bends["v", i, j] = bend(corners[i, j], corners[i, j + 1])

    def r(p: tuple[float, float]) -> tuple[float, float]:
        return (round(p[0], DIGITS), round(p[1], DIGITS))

    return ({k: r(p) for k, p in corners.items()}, {k: r(p) for k, p in bends.items()})


def _cell_ring(corners: Corners, bends: Bends, i: int, j: int) -> list[Point2]:
    """Counter-clockwise from the south-west corner, each edge through its bend."""
    return [
        corners[i, j],
        bends["h", i, j],
        corners[i + 1, j],
        bends["v", i + 1, j],
        corners[i + 1, j + 1],
        bends["h", i, j + 1],
        corners[i, j + 1],
        bends["v", i, j],
        corners[i, j],
    ]


def _union(rings: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    union = shapely.union_all([Polygon(r) for r in rings])
    if union.geom_type != "Polygon" or len(union.interiors):
        raise ValueError(f"not one polygon without holes: {union.geom_type}")
    return [(x, y) for x, y in union.exterior.coords]


def build() -> tuple[list[Area], list[GridCell]]:
    rng = random.Random(SEED)
    corners, bends = _lattice(rng)
    layout = _layout()
    cells: list[GridCell] = []
    for letter, (street, community, name) in COMMUNITIES.items():
        # numbered from the north-west: north to south, then west to east
        mine = sorted(
            (pos for pos, at in layout.items() if at == letter), key=lambda p: (-p[1], p[0])
        )
        for n, (i, j) in enumerate(mine, start=1):
            code = f"{DISTRICT}{street}{community}{n:02d}"
            cells.append(
                GridCell(
                    code=code,
                    name=f"{name}第{n}网格",
                    community=community_of(code),
                    street=street_of(code),
                    district=DISTRICT,
                    ring=_cell_ring(corners, bends, i, j),
                )
            )
    cells.sort(key=lambda c: c.code)

    areas = [
        Area(
            code=DISTRICT,
            level=Level.DISTRICT,
            name=DISTRICT_NAME,
            parent=None,
            ring=_union([c.ring for c in cells]),
        )
    ]
    for street, name in STREETS.items():
        code = DISTRICT + street
        areas.append(
            Area(
                code=code,
                level=Level.STREET,
                name=name,
                parent=DISTRICT,
                ring=_union([c.ring for c in cells if c.street == code]),
            )
        )
    for street, community, name in COMMUNITIES.values():
        code = DISTRICT + street + community
        areas.append(
            Area(
                code=code,
                level=Level.COMMUNITY,
                name=name,
                parent=street_of(code),
                ring=_union([c.ring for c in cells if c.community == code]),
            )
        )
    return sorted(areas, key=lambda a: a.code), cells


def render(areas: list[Area], cells: list[GridCell]) -> str:
    """One feature per line, so a change to the map reads well in a diff."""
    doc = feature_collection(areas, cells)
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in doc["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    areas, cells = build()
    OUT.write_text(render(areas, cells), encoding="utf-8")
    print(
        f"{OUT}: 1 district, {len(STREETS)} streets, {len(COMMUNITIES)} communities, "
        f"{len(cells)} grid cells"
    )


if __name__ == "__main__":
    main()
