"""The demo city's departments, category catalogue, routing table and handling limits."""
from domain.demo.geography import GRIDS
from domain.policy import PolicyRule
from domain.routing import RoutingRule
from domain.states import DeadlineStage, Unit

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
