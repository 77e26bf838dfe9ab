"""Which grid a point lies in: polygons as data, ray casting (few grids; an index comes later)."""
from pydantic import BaseModel


class GridCell(BaseModel):
    code: str
    name: str
    community: str
    street: str
    district: str
    ring: list[tuple[float, float]]  # (lon, lat) vertices of the outer ring, WGS-84


def contains(ring: list[tuple[float, float]], lon: float, lat: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i, (xi, yi) in enumerate(ring):
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def locate(cells: list[GridCell], *, lat: float, lon: float) -> GridCell | None:
    """The grid cell containing the point, or None when it lies outside every grid."""
    for cell in cells:
        if contains(cell.ring, lon, lat):
            return cell
    return None
