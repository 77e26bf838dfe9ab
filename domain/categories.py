"""The category catalogue's shape: components (部件) and events (事件), big class → sub-class.

Modelled on digital city management practice (CJ/T 214-2007, GB/T 30428.2: 管理部件和事件分类):

* a **kind**: `component` (部件, a physical object in the street: a manhole cover, a street light,
  a tree) or `event` (事件, something that happens: garbage piled up, a blocked fire passage);
* **big classes** (大类), six of each kind;
* **sub-classes** (小类), the categories a report names.

Codes: one letter for the kind (`C` component, `E` event), two digits for the big class, two for
the sub-class: `C01` is 公用设施 (public utilities) and `C0101` its first sub-class; `E04` is 街面秩序
(street order) and `E0401` its first. Sub-class 99 of a big class is "other" in that class. A
sub-class code therefore starts with its big class code, like area codes with their parents'.
"""

import re
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from domain.states import Urgency

CLASS_CODE = re.compile(r"^[CE]\d{2}$")
SUBCLASS_CODE = re.compile(r"^[CE]\d{4}$")
DEFAULT_DUPLICATE_RADIUS_M = 50
DEFAULT_DUPLICATE_WINDOW_HOURS = 72


class CategoryKind(StrEnum):
    COMPONENT = "component"  # 部件
    EVENT = "event"  # 事件


def class_of(code: str) -> str | None:
    """The big class code of a sub-class code (`E0101` → `E01`); None for any other string."""
    return code[:3] if SUBCLASS_CODE.match(code) else None


def kind_of(code: str) -> CategoryKind | None:
    """The kind of a big class or sub-class code, from its prefix letter."""
    if not (CLASS_CODE.match(code) or SUBCLASS_CODE.match(code)):
        return None
    return _kind(code)


def _kind(valid_code: str) -> CategoryKind:
    return CategoryKind.COMPONENT if valid_code[0] == "C" else CategoryKind.EVENT


class BigClass(BaseModel):
    """大类: e.g. C01 公用设施 Public utilities."""

    code: str
    name_zh: str
    name_en: str

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CLASS_CODE.match(value):
            raise ValueError("a big class code is C or E and two digits, e.g. C01")
        return value

    @property
    def kind(self) -> CategoryKind:
        return _kind(self.code)  # validated


class SubClass(BaseModel):
    """小类: what a report names. Routing rules route it; the rest is the catalogue's defaults."""

    code: str
    name_zh: str
    name_en: str
    default_department: str | None = Field(
        description="who usually handles it (the demo's district-level routing rule); None: "
        "dispatched by hand"
    )
    urgency: Urgency = Field(
        default=Urgency.NORMAL, description="intake uses it when the report gives none"
    )
    duplicate_radius_m: int | None = Field(
        default=DEFAULT_DUPLICATE_RADIUS_M,
        gt=0,
        description="reports of this sub-class closer than this are duplicate candidates; "
        "None: never",
    )
    duplicate_window_hours: int = Field(
        default=DEFAULT_DUPLICATE_WINDOW_HOURS,
        gt=0,
        description="…and submitted within this many hours",
    )

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not SUBCLASS_CODE.match(value):
            raise ValueError("a sub-class code is C or E and four digits, e.g. C0101")
        return value

    @property
    def class_code(self) -> str:
        return self.code[:3]

    @property
    def kind(self) -> CategoryKind:
        return _kind(self.code)  # validated


class Catalogue(BaseModel):
    """Big classes and their sub-classes; every sub-class belongs to a listed big class."""

    classes: list[BigClass]
    subclasses: list[SubClass]

    @model_validator(mode="after")
    def _consistent(self) -> "Catalogue":
        codes = [c.code for c in self.classes]
        if len(set(codes)) != len(codes):
            raise ValueError("big class codes repeat")
        subs = [s.code for s in self.subclasses]
        if len(set(subs)) != len(subs):
            raise ValueError("sub-class codes repeat")
        orphans = [s.code for s in self.subclasses if s.class_code not in codes]
        if orphans:
            raise ValueError(f"sub-classes without a big class: {orphans}")
        return self

    def big_class(self, code: str) -> BigClass:
        return next(c for c in self.classes if c.code == code)
