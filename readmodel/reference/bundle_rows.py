"""A bundle table's rows → the domain's items, each bad cell a Problem naming its row and column.

Blank optional cells take the domain's defaults (docs/city-bundle.md lists them).
"""

import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from domain.bundle import BundleUser, Department, Problem
from domain.categories import BigClass, SubClass
from domain.policy import PolicyRule
from domain.routing import RoutingRule
from domain.states import DeadlineStage, Unit, Urgency
from readmodel.reference.bundle_tables import Table, problem

NEVER = {"none", "never", "-", "无"}  # duplicate_radius_m: no duplicate detection
LIST_SEPARATORS = re.compile(r"[\s,;，；、]+")


class Cells:
    """One row's cells, read as the types the domain wants; a bad cell reads as blank and is
    remembered, so that every bad cell of a row is reported."""

    def __init__(self, cells: dict[str, str]) -> None:
        self.cells = cells
        self.errors: list[tuple[str, str, str]] = []  # (column, English, Chinese)

    def _bad(self, column: str, en: str, zh: str) -> None:
        self.errors.append((column, en, zh))

    def text(self, column: str) -> str | None:
        return self.cells.get(column) or None

    def whole(self, column: str) -> int | None:
        value = self.text(column)
        try:
            return None if value is None else int(value)
        except ValueError:
            self._bad(column, f"{value!r} is not a whole number", f"{value!r} 不是整数")
            return None

    def number(self, column: str) -> float | None:
        value = self.text(column)
        try:
            return None if value is None else float(value)
        except ValueError:
            self._bad(column, f"{value!r} is not a number", f"{value!r} 不是数字")
            return None

    def day(self, column: str) -> date | None:
        value = self.text(column)
        try:
            return None if value is None else date.fromisoformat(value)
        except ValueError:
            self._bad(
                column, f"{value!r} is not a date (YYYY-MM-DD)", f"{value!r} 不是日期（YYYY-MM-DD）"
            )
            return None

    def choice(self, column: str, kind: type[StrEnum]) -> Any:
        value = self.text(column)
        if value is None:
            return None
        try:
            return kind(value.lower())
        except ValueError:
            allowed = ", ".join(k.value for k in kind)
            self._bad(
                column, f"{value!r} is not one of {allowed}", f"{value!r} 不是可选值（{allowed}）"
            )
            return None


def _given(**fields: Any) -> dict[str, Any]:
    """Only the cells that were filled: the model's defaults stand for the blank ones."""
    return {k: v for k, v in fields.items() if v is not None}


def department(c: Cells) -> Department:
    return Department(**_given(code=c.text("code"), name=c.text("name")))


def category(c: Cells) -> BigClass | SubClass:
    code, names = (
        c.text("code") or "",
        {"name_zh": c.text("name_zh"), "name_en": c.text("name_en") or ""},
    )
    if len(code) == 3:
        return BigClass(code=code, **_given(**names))
    fields = _given(
        code=code,
        **names,
        urgency=c.choice("urgency", Urgency),
        duplicate_window_hours=c.whole("duplicate_window_hours"),
    )
    radius = c.text("duplicate_radius_m")
    if radius and radius.lower() in NEVER:
        fields["duplicate_radius_m"] = None
    elif radius:
        fields["duplicate_radius_m"] = c.whole("duplicate_radius_m")
    return SubClass(default_department=c.text("default_department"), **fields)


def routing_rule(c: Cells) -> RoutingRule:
    return RoutingRule(
        area=c.text("area"),
        effective_to=c.day("effective_to"),
        **_given(
            rule_id=c.text("rule_id"),
            category=c.text("category"),
            department=c.text("department"),
            priority=c.whole("priority"),
            version=c.whole("version"),
            effective_from=c.day("effective_from"),
        ),
    )


def deadline_rule(c: Cells) -> PolicyRule:
    return PolicyRule(
        category=c.text("category"),
        urgency=c.choice("urgency", Urgency),
        **_given(
            stage=c.choice("stage", DeadlineStage),
            amount=c.number("amount"),
            unit=c.choice("unit", Unit),
        ),
    )


def _lower(text: str | None) -> str | None:
    return text.lower() if text else text


def user(c: Cells) -> BundleUser:
    grids = [g for g in LIST_SEPARATORS.split(c.text("grids") or "") if g]
    return BundleUser(
        department=c.text("department"),
        grids=grids,
        area=c.text("area"),
        password=c.text("password"),
        **_given(user_id=c.text("user_id"), name=c.text("name"), role=_lower(c.text("role"))),
    )


READERS: dict[str, Callable[[Cells], BaseModel]] = {
    "departments": department,
    "catalogue": category,
    "routing": routing_rule,
    "deadlines": deadline_rule,
    "users": user,
}


def read_rows(table: Table, part: str) -> tuple[list[tuple[int, BaseModel]], list[Problem]]:
    """(row number, item) for every good row; a Problem for each bad cell of the others."""
    items, problems = [], []
    for number, cells in table.rows:
        row = Cells(cells)
        try:
            item = READERS[part](row)
        except ValidationError as e:
            if row.errors:  # the bad cells, not what their blanks led to
                continue
            for error in e.errors():
                column = str(error["loc"][0]) if error["loc"] else None
                en = error["msg"]
                if error["type"] == "missing":
                    en, zh = "required, but empty", "必填，但为空"
                else:
                    zh = f"取值无效：{en}"
                problems.append(problem(table.file, number, column, en, zh))
        else:
            if not row.errors:
                items.append((number, item))
        finally:
            problems += [problem(table.file, number, *error) for error in row.errors]
    return items, problems
