"""A small demo city: one district, two streets, four communities, eight grid cells.

Grid codes follow CJ/T 349: county (6) + street (3) + community (3) + grid (2) digits.
Cells are 0.01 x 0.01 degree rectangles (about 960 m x 1110 m) west of West Lake, Hangzhou.
"""
from domain.geo import GridCell
from domain.policy import PolicyRule
from domain.routing import RoutingRule
from domain.states import DeadlineStage, Unit

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

DEPARTMENTS = {
    "cgj": "区城管局 Urban Management Bureau",
    "zjj": "区住建局 Housing and Construction Bureau",
    "scjg": "区市场监管局 Market Supervision Bureau",
    "xfj": "区消防救援大队 Fire and Rescue",
    "jtj": "区交通运输局 Transport Bureau",
    "bs-street": "北山街道办 Beishan Street Office",
}

CATEGORIES = {
    "garbage": ("暴露垃圾", "Exposed garbage"),
    "manhole": ("井盖缺损", "Missing or damaged manhole cover"),
    "streetlight": ("路灯不亮", "Street light out"),
    "illegal-construction": ("违法建设", "Illegal construction"),
    "fire-passage": ("消防通道堵塞", "Blocked fire passage"),
    "unlicensed-business": ("无证经营", "Unlicensed business"),
    "road-damage": ("道路破损", "Damaged road surface"),
    "illegal-ad": ("违规广告", "Illegal advertising"),
    "other": ("其他", "Other (dispatched by hand)"),
}

RULES = [
    RoutingRule(rule_id="R-garbage", category="garbage", department="cgj"),
    # Beishan street cleans its own lanes: a grid-level rule beats the city-wide one.
    RoutingRule(rule_id="R-garbage-bs01", category="garbage", grid=GRIDS[0].code,
                department="bs-street"),
    RoutingRule(rule_id="R-manhole", category="manhole", department="cgj"),
    RoutingRule(rule_id="R-streetlight", category="streetlight", department="cgj"),
    RoutingRule(rule_id="R-illegal-construction", category="illegal-construction",
                department="zjj"),
    RoutingRule(rule_id="R-fire-passage", category="fire-passage", department="xfj"),
    RoutingRule(rule_id="R-unlicensed", category="unlicensed-business", department="scjg"),
    RoutingRule(rule_id="R-road", category="road-damage", department="jtj"),
    RoutingRule(rule_id="R-ad", category="illegal-ad", department="cgj"),
]

# (user_id, display name, role, department, grids, demo token)
USERS = [
    ("wang", "王网格员", "grid_worker", None, [GRIDS[0].code, GRIDS[1].code], "demo-worker-wang"),
    ("li", "李网格员", "grid_worker", None, [GRIDS[2].code, GRIDS[3].code], "demo-worker-li"),
    ("zhao", "赵(城管)", "department_staff", "cgj", [], "demo-staff-cgj"),
    ("qian", "钱(住建)", "department_staff", "zjj", [], "demo-staff-zjj"),
    ("sun", "孙(消防)", "department_staff", "xfj", [], "demo-staff-xfj"),
    ("zhou", "周(街道)", "department_staff", "bs-street", [], "demo-staff-bs"),
    ("chen", "陈(指挥中心)", "supervisor", None, [], "demo-supervisor"),
]

# Handling limits (处置时限) per category, as digital city management practice sets them.
DEADLINE_RULES = [
    PolicyRule(stage=DeadlineStage.HANDLE, amount=4, unit=Unit.WORKING_HOURS, category="garbage"),
    PolicyRule(stage=DeadlineStage.HANDLE, amount=2, unit=Unit.WORKING_HOURS, category="manhole"),
    PolicyRule(stage=DeadlineStage.HANDLE, amount=2, unit=Unit.WORKING_DAYS, category="streetlight"),
    PolicyRule(stage=DeadlineStage.HANDLE, amount=20, unit=Unit.WORKING_DAYS,
               category="illegal-construction"),
    PolicyRule(stage=DeadlineStage.HANDLE, amount=4, unit=Unit.HOURS, category="fire-passage"),
    PolicyRule(stage=DeadlineStage.HANDLE, amount=5, unit=Unit.WORKING_DAYS,
               category="unlicensed-business"),
    PolicyRule(stage=DeadlineStage.HANDLE, amount=3, unit=Unit.WORKING_DAYS, category="road-damage"),
    PolicyRule(stage=DeadlineStage.HANDLE, amount=1, unit=Unit.WORKING_DAYS, category="illegal-ad"),
]
