"""The demo city's map, loaded from geography.geojson (made by make_geography.py).

One district (西湖区, 330106) west of West Lake, Hangzhou: 4 streets, 16 communities, 71 grid
cells of about 0.6 km², WGS-84. Codes follow CJ/T 349 (domain/geo.py). GRIDS is ordered by code:
GRIDS[0..3] are the four grids of 保俶塔社区 (北山街道), worked by wang (0, 1) and li (2, 3).
"""

import json
from pathlib import Path

from domain.geo import Area, GridCell, Level, read_feature_collection

GEOJSON_PATH = Path(__file__).with_name("geography.geojson")

AREAS: list[Area]  # the district, its streets and communities, by code
GRIDS: list[GridCell]  # by code
AREAS, GRIDS = read_feature_collection(json.loads(GEOJSON_PATH.read_text(encoding="utf-8")))

DISTRICT = next(a.code for a in AREAS if a.level is Level.DISTRICT)  # 330106
STREETS = {a.code[6:]: a.name for a in AREAS if a.level is Level.STREET}  # "001" → 北山街道
COMMUNITIES = {
    (a.code[6:9], a.code[9:]): a.name  # ("001", "001") → 保俶塔社区
    for a in AREAS
    if a.level is Level.COMMUNITY
}
