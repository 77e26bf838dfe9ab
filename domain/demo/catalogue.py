"""The demo city's departments, category catalogue, routing rules and handling limits.

The catalogue follows digital city management practice (数字城管, CJ/T 214 / GB/T 30428.2): six big
classes of components (部件) and six of events (事件), 57 sub-classes; codes are explained in
domain/categories.py (`C0101`: component, big class 01, sub-class 01). Handling limits (处置时限)
are of the kind cities publish per sub-class: street cleaning 2 working hours, exposed garbage 4,
green space upkeep 5 working days, illegal construction 20 working days; urgent sub-classes run on
natural hours.
"""

from datetime import date

from domain.categories import BigClass, Catalogue, SubClass
from domain.demo.geography import GRIDS
from domain.policy import PolicyRule
from domain.routing import RoutingRule
from domain.states import DeadlineStage, Unit, Urgency

DEPARTMENTS = {
    "cgj": "区城管局 Urban Management Bureau",
    "zjj": "区住建局 Housing and Construction Bureau",
    "scjg": "区市场监管局 Market Supervision Bureau",
    "xfj": "区消防救援大队 Fire and Rescue",
    "jtj": "区交通运输局 Transport Bureau",
    "bs-street": "北山街道办 Beishan Street Office",
    "xx-street": "西溪街道办 Xixi Street Office",
    "ylj": "区园林绿化局 Parks and Greening Bureau",
    "slj": "区林业水利局 Water and Drainage Bureau",
    "hbj": "区生态环境分局 Ecology and Environment Bureau",
    "ghj": "区规划和自然资源分局 Planning and Natural Resources Bureau",
    "jjdd": "公安交警大队 Traffic Police",
    "gaj": "区公安分局 Public Security Bureau",
    "gdj": "供电公司 Power Supply Company",
    "rqgs": "燃气公司 Gas Company",
    "yjj": "区应急管理局 Emergency Management Bureau",
}

CLASSES = {
    c.code: c
    for c in [
        # 部件 components
        BigClass(code="C01", name_zh="公用设施", name_en="Public utilities"),
        BigClass(code="C02", name_zh="道路交通", name_en="Roads and traffic"),
        BigClass(code="C03", name_zh="市容环境", name_en="City appearance (facilities)"),
        BigClass(code="C04", name_zh="园林绿化", name_en="Parks and greenery"),
        BigClass(code="C05", name_zh="房屋土地", name_en="Buildings and land"),
        BigClass(code="C06", name_zh="其他设施", name_en="Other facilities"),
        # 事件 events
        BigClass(code="E01", name_zh="市容环境", name_en="City appearance"),
        BigClass(code="E02", name_zh="宣传广告", name_en="Advertising"),
        BigClass(code="E03", name_zh="施工管理", name_en="Construction"),
        BigClass(code="E04", name_zh="街面秩序", name_en="Street order"),
        BigClass(code="E05", name_zh="突发事件", name_en="Emergencies"),
        BigClass(code="E06", name_zh="其他事件", name_en="Other events"),
    ]
}

N, U = Urgency.NORMAL, Urgency.URGENT
WH, WD, H = Unit.WORKING_HOURS, Unit.WORKING_DAYS, Unit.HOURS
DEFAULT_DUP = (50, 72)
NO_DUP = (None, 72)

# code, 中文, English, department, urgency, handling limit (amount, unit) or None,
# duplicate detection (radius m or None, window hours)
_TABLE: list[
    tuple[str, str, str, str | None, Urgency, tuple[float, Unit] | None, tuple[int | None, int]]
] = [
    # C01 公用设施
    ("C0101", "井盖缺损", "Missing or damaged manhole cover", "cgj", N, (2, WH), (20, 168)),
    ("C0102", "雨水箅子缺损", "Damaged storm drain grate", "slj", N, (4, WH), (20, 168)),
    ("C0103", "消防栓损坏", "Damaged fire hydrant", "xfj", N, (2, WD), (20, 168)),
    ("C0104", "电力设施损坏", "Damaged power box or pole", "gdj", N, (1, WD), (20, 168)),
    ("C0105", "路灯不亮", "Street light out", "cgj", N, (2, WD), (30, 168)),
    ("C0106", "燃气设施损坏", "Damaged gas facility", "rqgs", U, (2, H), (30, 24)),
    ("C0107", "公厕设施损坏", "Damaged public toilet", "cgj", N, (1, WD), (20, 168)),
    # C02 道路交通
    ("C0201", "道路破损", "Damaged road surface", "jtj", N, (3, WD), (30, 168)),
    ("C0202", "交通信号灯故障", "Traffic light fault", "jjdd", U, (2, H), (30, 24)),
    ("C0203", "交通标志牌损坏", "Damaged traffic sign", "jjdd", N, (3, WD), (20, 168)),
    ("C0204", "护栏损坏", "Damaged guardrail", "jtj", N, (2, WD), (30, 168)),
    ("C0205", "公交站亭损坏", "Damaged bus shelter", "jtj", N, (3, WD), (20, 168)),
    ("C0206", "人行道板破损", "Broken pavement slabs", "cgj", N, (3, WD), (30, 168)),
    ("C0207", "隔离墩缺损", "Missing or damaged bollard", "jtj", N, (2, WD), (20, 168)),
    # C03 市容环境 (设施)
    ("C0301", "果壳箱破损", "Damaged litter bin", "cgj", N, (1, WD), (20, 168)),
    ("C0302", "垃圾房破损", "Damaged refuse room", "cgj", N, (3, WD), (20, 168)),
    ("C0303", "公共座椅损坏", "Damaged public bench", "cgj", N, (3, WD), (20, 168)),
    # C04 园林绿化 (routed by the big class rule)
    ("C0401", "行道树倒伏", "Fallen street tree", "ylj", U, (4, H), (30, 24)),
    ("C0402", "绿地破坏", "Damaged green space", "ylj", N, (5, WD), DEFAULT_DUP),
    ("C0403", "花坛花箱损坏", "Damaged flower bed or planter", "ylj", N, (3, WD), (20, 168)),
    ("C0404", "古树名木受损", "Damaged heritage tree", "ylj", N, (1, WD), (20, 720)),
    # C05 房屋土地
    ("C0501", "危房", "Dangerous building", "zjj", U, (24, H), (30, 720)),
    ("C0502", "违法占地", "Illegal land occupation", "ghj", N, (20, WD), (50, 720)),
    ("C0503", "建筑外立面脱落", "Falling facade", "zjj", U, (4, H), (30, 72)),
    # C06 其他设施 (routed by the big class rule, but for C0602)
    ("C0601", "健身器材损坏", "Damaged fitness equipment", "cgj", N, (3, WD), (20, 168)),
    ("C0602", "监控设施损坏", "Damaged surveillance camera", "gaj", N, (3, WD), (20, 168)),
    ("C0603", "宣传栏损坏", "Damaged notice board", "cgj", N, (3, WD), (20, 168)),
    # E01 市容环境
    ("E0101", "暴露垃圾", "Exposed garbage", "cgj", N, (4, WH), DEFAULT_DUP),
    ("E0102", "道路不洁", "Dirty street (street cleaning)", "cgj", N, (2, WH), (100, 24)),
    ("E0103", "积存渣土", "Piled construction waste", "cgj", N, (2, WD), DEFAULT_DUP),
    ("E0104", "污水冒溢", "Sewage overflow", "slj", N, (4, WH), (100, 24)),
    ("E0105", "路面积水", "Standing water on the road", "slj", N, (4, WH), (100, 24)),
    ("E0106", "露天焚烧", "Open burning", "cgj", N, (4, WH), (100, 24)),
    ("E0107", "动物尸体", "Dead animal", "cgj", N, (2, WH), DEFAULT_DUP),
    # E02 宣传广告
    ("E0201", "违规户外广告", "Illegal outdoor advertising", "cgj", N, (1, WD), (30, 168)),
    ("E0202", "非法小广告", "Fly-posting and graffiti", "cgj", N, (1, WD), DEFAULT_DUP),
    ("E0203", "广告牌破损", "Damaged billboard", "cgj", N, (1, WD), (30, 168)),
    ("E0204", "违规横幅标语", "Unauthorised banner", "cgj", N, (4, WH), DEFAULT_DUP),
    # E03 施工管理
    ("E0301", "违法建设", "Illegal construction", "zjj", N, (20, WD), (30, 720)),
    ("E0302", "施工扰民", "Construction noise", "hbj", N, (1, WD), (200, 24)),
    ("E0303", "工地扬尘", "Construction dust", "zjj", N, (1, WD), (200, 72)),
    ("E0304", "道路遗撒", "Spillage from trucks", "cgj", N, (2, WH), (200, 24)),
    ("E0305", "违规占道施工", "Unpermitted roadworks", "jtj", N, (1, WD), (100, 168)),
    # E04 街面秩序
    ("E0401", "消防通道堵塞", "Blocked fire passage", "xfj", U, (4, H), (30, 24)),
    ("E0402", "无证经营", "Unlicensed business", "scjg", N, (5, WD), (30, 168)),
    ("E0403", "店外经营", "Business spilling onto the pavement", "cgj", N, (4, WH), (30, 24)),
    ("E0404", "机动车乱停放", "Illegal car parking", "jjdd", N, (2, WH), (30, 4)),
    ("E0405", "非机动车乱停放", "Disorderly bicycle parking", "cgj", N, (4, WH), DEFAULT_DUP),
    ("E0406", "露天烧烤", "Open-air barbecue", "cgj", N, (2, WH), DEFAULT_DUP),
    ("E0407", "噪声扰民", "Noise nuisance (shops, loudspeakers)", "hbj", N, (1, WD), (100, 24)),
    # E05 突发事件
    ("E0501", "路面塌陷", "Road collapse", "jtj", U, (2, H), (100, 24)),
    ("E0502", "燃气泄漏", "Gas leak", "rqgs", U, (1, H), (200, 12)),
    ("E0503", "供水管爆裂", "Burst water main", "slj", U, (2, H), (200, 24)),
    ("E0504", "火灾隐患", "Fire hazard", "xfj", U, (4, H), (50, 24)),
    ("E0505", "防汛险情", "Flood emergency", "yjj", U, (2, H), (200, 12)),
    # E06 其他事件
    ("E0601", "违规养犬", "Dog nuisance", "gaj", N, (3, WD), DEFAULT_DUP),
    ("E0699", "其他", "Other (dispatched by hand)", None, N, None, NO_DUP),
]

CATEGORIES = {
    code: SubClass(
        code=code,
        name_zh=zh,
        name_en=en,
        default_department=department,
        urgency=urgency,
        duplicate_radius_m=radius,
        duplicate_window_hours=window,
    )
    for code, zh, en, department, urgency, _, (radius, window) in _TABLE
}
CATALOGUE = Catalogue(classes=list(CLASSES.values()), subclasses=list(CATEGORIES.values()))

# --- routing rules ---------------------------------------------------------------------------
# Every routable sub-class has a district-level rule: its own (R-<code>) or its big class's
# (R-C04, R-C06); some streets, one community and one grid have their own arrangements.
SINCE = date(2024, 1, 1)
DISTRICT = GRIDS[0].district
BIG_CLASS_RULES = {"C04": "ylj", "C06": "cgj"}
_OTHER_STREET = next((g for g in GRIDS if g.street != GRIDS[0].street), None)


def _rule(category: str, department: str, area: str = DISTRICT) -> RoutingRule:
    rule_id = f"R-{category}" if area == DISTRICT else f"R-{category}-{area}"
    return RoutingRule(
        rule_id=rule_id, category=category, area=area, department=department, effective_from=SINCE
    )


RULES = [
    *(_rule(code, department) for code, department in BIG_CLASS_RULES.items()),
    *(
        _rule(s.code, s.default_department)
        for s in CATEGORIES.values()
        if s.default_department and BIG_CLASS_RULES.get(s.class_code) != s.default_department
    ),
    # Beishan street cleans its own lanes in its first grid (grid level beats district level).
    _rule("E0101", "bs-street", GRIDS[0].code),
    _rule("E0102", "bs-street", GRIDS[0].code),
    # Street offices look after bicycle parking and fitness equipment in their own streets.
    _rule("E0405", "bs-street", GRIDS[0].street),
    _rule("C0601", "bs-street", GRIDS[0].street),
    *(
        [
            _rule("C0601", "xx-street", _OTHER_STREET.street),
            # one community's shopfronts are the street office's pilot (community level)
            _rule("E0403", "xx-street", _OTHER_STREET.community),
        ]
        if _OTHER_STREET
        else []
    ),
]

# Handling limits (处置时限) per sub-class, as digital city management practice sets them.
DEADLINE_RULES = [
    PolicyRule(stage=DeadlineStage.HANDLE, amount=limit[0], unit=limit[1], category=code)
    for code, _, _, _, _, limit, _ in _TABLE
    if limit is not None
]
