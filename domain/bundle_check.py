"""Validate a city bundle before anything is changed: every problem, each named by its file, row
or feature, and field, in English and Chinese.

Codes and references are checked here; shapes (validity, overlaps, gaps, outside the district)
in domain/bundle_geometry.py. A bundle with no problems can be applied as a whole. Pure.
"""

from collections.abc import Callable, Iterable
from typing import Any

from domain.bundle import BUNDLE_ROLES, FILES, Bundle, Problem
from domain.bundle_geometry import SLIVER_M2, check_geometry
from domain.geo import CODE_LENGTH, Level, parent_of
from domain.states import Role

LEVEL_ZH = {
    Level.DISTRICT: "区县",
    Level.STREET: "街道",
    Level.COMMUNITY: "社区",
    Level.GRID: "网格",
}


def check(bundle: Bundle, *, sliver_m2: float = SLIVER_M2) -> list[Problem]:
    """Every problem in the bundle, by file and row; an empty list: it can be applied."""
    problems = [
        *_map_codes(bundle),
        *_catalogue(bundle),
        *_duplicates(bundle, "departments", lambda d: d.code, "department code", "部门编码"),
        *_routing(bundle),
        *_deadlines(bundle),
        *_users(bundle),
        *check_geometry(bundle, sliver_m2=sliver_m2),
    ]
    order = {name: i for i, name in enumerate(FILES)}
    parts = {bundle.files.get(p, name): order[p] for p, name in FILES.items()}
    return sorted(problems, key=lambda p: (parts.get(p.file, len(order)), p.row or 0))


def _duplicates(
    bundle: Bundle, part: str, key: Callable[[Any], object], what: str, what_zh: str
) -> Iterable[Problem]:
    seen: dict[object, int] = {}
    for i, item in enumerate(getattr(bundle, part)):
        k = key(item)
        if k in seen:
            first = bundle.row_of(part, seen[k])
            yield bundle.problem(
                part,
                i,
                None,
                f"{what} {k} repeats (first in row {first})",
                f"{what_zh} {k} 重复（首次出现在第 {first} 行）",
            )
        else:
            seen[k] = i


def _code_is(code: str, level: Level) -> bool:
    return code.isdigit() and len(code) == CODE_LENGTH[level]


def _map_codes(bundle: Bundle) -> Iterable[Problem]:
    """CJ/T 349: a unit's code is its parent's code and its own digits, and the parent is mapped."""
    levels = {a.code: a.level for a in bundle.areas}
    units = [("areas", i, a.code, a.level, a.parent) for i, a in enumerate(bundle.areas)]
    units += [("grids", i, g.code, Level.GRID, g.community) for i, g in enumerate(bundle.grids)]
    seen: dict[str, tuple[str, int]] = {}
    for part, i, code, level, parent in units:
        n = CODE_LENGTH[level]
        if code in seen:
            first = bundle.row_of(*seen[code])
            yield bundle.problem(
                part, i, "code", f"code {code} repeats (first at feature #{first})",
                f"编码 {code} 重复（首次见第 {first} 个要素）",
            )  # fmt: skip
            continue
        seen[code] = (part, i)
        if not _code_is(code, level):
            yield bundle.problem(
                part, i, "code", f"{code!r} is not a {level} code ({n} digits)",
                f"{code!r} 不是{LEVEL_ZH[level]}编码（应为 {n} 位数字）",
            )  # fmt: skip
            continue
        expected = parent_of(code)
        if parent == expected:
            if expected is not None and levels.get(expected) is None:
                yield bundle.problem(
                    part, i, "parent", f"parent {expected} is not in the map",
                    f"上级 {expected} 不在地图中",
                )  # fmt: skip
        elif expected is None:
            yield bundle.problem(
                part, i, "parent", f"a district has no parent (not {parent})",
                f"区县没有上级（不应填写 {parent}）",
            )  # fmt: skip
        else:
            digits = len(expected)
            yield bundle.problem(
                part, i, "parent",
                f"parent {parent} does not match the code: a {level}'s parent is its code's "
                f"first {digits} digits ({expected})",
                f"上级编码 {parent} 与编码不符：{LEVEL_ZH[level]}的上级应为编码前 {digits} 位"
                f"（{expected}）",
            )  # fmt: skip


def _catalogue(bundle: Bundle) -> Iterable[Problem]:
    yield from _duplicates(bundle, "classes", lambda c: c.code, "big class", "大类")
    yield from _duplicates(bundle, "subclasses", lambda s: s.code, "sub-class", "小类")
    classes = {c.code for c in bundle.classes}
    departments = {d.code for d in bundle.departments}
    known = bundle.knows("departments")
    for i, s in enumerate(bundle.subclasses):
        if s.class_code not in classes:
            yield bundle.problem(
                "subclasses", i, "code", f"its big class {s.class_code} is not in the catalogue",
                f"所属大类 {s.class_code} 不在目录中",
            )  # fmt: skip
        if s.default_department and s.default_department not in departments and known:
            yield _unknown_department(
                bundle, "subclasses", i, "default_department", s.default_department
            )


def _unknown_department(bundle: Bundle, part: str, i: int, field: str, code: str) -> Problem:
    return bundle.problem(
        part, i, field, f"unknown department {code} (not in {bundle.file_of('departments')})",
        f"未知部门 {code}（{bundle.file_of('departments')} 中没有）",
    )  # fmt: skip


def _unknown_area(bundle: Bundle, part: str, i: int, field: str, code: str) -> Problem:
    return bundle.problem(
        part, i, field, f"unknown area {code} (not in {bundle.file_of('areas')})",
        f"未知区域 {code}（{bundle.file_of('areas')} 中没有）",
    )  # fmt: skip


def _routing(bundle: Bundle) -> Iterable[Problem]:
    key = lambda r: f"{r.rule_id} v{r.version}"  # noqa: E731
    yield from _duplicates(bundle, "routing", key, "rule", "规则")
    departments = {d.code for d in bundle.departments}
    categories = {c.code for c in bundle.classes} | {s.code for s in bundle.subclasses}
    areas = bundle.area_codes()
    for i, r in enumerate(bundle.routing):
        if r.department not in departments and bundle.knows("departments"):
            yield _unknown_department(bundle, "routing", i, "department", r.department)
        if r.category not in categories and bundle.knows("classes"):
            yield bundle.problem(
                "routing", i, "category",
                f"unknown category {r.category} (neither a big class nor a sub-class in "
                f"{bundle.file_of('classes')})",
                f"未知类别 {r.category}（{bundle.file_of('classes')} 中既无此大类也无此小类）",
            )  # fmt: skip
        if r.area is not None and r.area not in areas and bundle.knows("areas"):
            yield _unknown_area(bundle, "routing", i, "area", r.area)


def _deadlines(bundle: Bundle) -> Iterable[Problem]:
    key = lambda r: f"{r.stage}/{r.category or '*'}/{r.urgency or '*'}"  # noqa: E731
    yield from _duplicates(bundle, "deadlines", key, "rule for", "时限规则")
    subclasses = {s.code for s in bundle.subclasses}
    for i, r in enumerate(bundle.deadlines):
        if r.category is not None and r.category not in subclasses and bundle.knows("classes"):
            yield bundle.problem(
                "deadlines", i, "category",
                f"unknown sub-class {r.category}: a deadline rule names a sub-class of "
                f"{bundle.file_of('subclasses')} (or none, for every category)",
                f"未知小类 {r.category}：时限规则须填写 {bundle.file_of('subclasses')} 中的小类"
                "（或留空，适用于所有类别）",
            )  # fmt: skip


def _users(bundle: Bundle) -> Iterable[Problem]:
    yield from _duplicates(bundle, "users", lambda u: u.user_id, "user id", "用户账号")
    departments = {d.code for d in bundle.departments}
    grids = {g.code for g in bundle.grids}
    areas = bundle.area_codes()
    roles = ", ".join(sorted(BUNDLE_ROLES))
    for i, u in enumerate(bundle.users):
        if u.role not in BUNDLE_ROLES:
            yield bundle.problem(
                "users", i, "role", f"unknown role {u.role!r} (one of {roles})",
                f"未知角色 {u.role!r}（可选：{roles}）",
            )  # fmt: skip
        if (
            u.department is not None
            and u.department not in departments
            and bundle.knows("departments")
        ):
            yield _unknown_department(bundle, "users", i, "department", u.department)
        for grid in u.grids:
            if grid not in grids and bundle.knows("grids"):
                yield bundle.problem(
                    "users", i, "grids", f"unknown grid {grid} (not in {bundle.file_of('grids')})",
                    f"未知网格 {grid}（{bundle.file_of('grids')} 中没有）",
                )  # fmt: skip
        if u.area is not None and u.area not in areas and bundle.knows("areas"):
            yield _unknown_area(bundle, "users", i, "area", u.area)
        if u.role == Role.DEPARTMENT_STAFF and u.department is None:
            yield bundle.problem(
                "users", i, "department", "department staff need a department",
                "部门工作人员须填写所属部门",
            )  # fmt: skip
        if u.role == Role.GRID_WORKER and not u.grids:
            yield bundle.problem(
                "users",
                i,
                "grids",
                "a grid worker needs at least one grid",
                "网格员须至少负责一个网格",
            )
