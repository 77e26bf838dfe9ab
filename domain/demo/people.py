"""The demo city's users, one or more for every role, with demo passwords; the demo API key."""

from domain.demo.catalogue import DEPARTMENTS
from domain.demo.geography import DISTRICT, GRIDS, STREETS

# (user_id, display name, role, department, grids, demo password: the old demo token)
USERS = [
    ("wang", "王网格员", "grid_worker", None, [GRIDS[0].code, GRIDS[1].code], "demo-worker-wang"),
    ("li", "李网格员", "grid_worker", None, [GRIDS[2].code, GRIDS[3].code], "demo-worker-li"),
    ("zhao", "赵(城管)", "department_staff", "cgj", [], "demo-staff-cgj"),
    ("qian", "钱(住建)", "department_staff", "zjj", [], "demo-staff-zjj"),
    ("sun", "孙(消防)", "department_staff", "xfj", [], "demo-staff-xfj"),
    ("zhou", "周(街道)", "department_staff", "bs-street", [], "demo-staff-bs"),
    ("chen", "陈(指挥中心)", "supervisor", None, [], "demo-supervisor"),
    ("wu", "吴(街道督查)", "supervisor", None, [], "demo-supervisor-wu"),
    ("admin", "系统管理员", "admin", None, [], "demo-admin"),
    ("gateway", "智慧社区网关 smart-community gateway", "sensor", None, [], "demo-sensor-gateway"),
]

# Every other department gets one staff member too, so every routed ticket can be worked.
_NAMED = {u[3] for u in USERS if u[3]}
USERS += [
    (
        f"staff-{code}",
        f"{name.split()[0]} 值班员",
        "department_staff",
        code,
        [],
        f"demo-staff-{code}",
    )
    for code, name in DEPARTMENTS.items()
    if code not in _NAMED
]

# A supervisor oversees an area: the whole district (the command centre) or one street (9-digit
# CJ/T 349 code).
SUPERVISOR_AREAS = {"chen": DISTRICT, "wu": DISTRICT + sorted(STREETS)[0]}

# (key_id, owner user_id, label, key): machine clients send X-API-Key: <key>.
API_KEYS = [
    ("demo-gateway", "gateway", "demo smart-community sensor gateway", "demo-sensor-gateway")
]
