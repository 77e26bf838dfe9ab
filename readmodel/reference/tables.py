"""Reference data's tables, kept by an admin and seeded with the demo city: department,
category_class, category, grid, area, routing_rule, deadline_rule, subject (the working
calendar's are in calendar_tables.py)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class Department(SQLModel, table=True):
    code: str = Field(primary_key=True)
    name: str


class CategoryClass(SQLModel, table=True):
    """A big class (大类) of the catalogue: C01 公用设施, E04 街面秩序 (domain/categories.py)."""

    __tablename__ = "category_class"
    code: str = Field(primary_key=True)
    kind: str  # component (部件) / event (事件)
    name_zh: str
    name_en: str


class Category(SQLModel, table=True):
    """A sub-class (小类): what a report names, e.g. E0101 暴露垃圾 Exposed garbage."""

    code: str = Field(primary_key=True)
    name_zh: str
    name_en: str
    kind: str = "event"  # component (部件) / event (事件)
    class_code: str = Field(default="", index=True)  # the big class, e.g. E01
    class_name_zh: str = ""
    class_name_en: str = ""
    default_department: str | None = None  # None: dispatched by hand
    urgency: str = "normal"  # intake's default when the report gives none
    # None: no duplicate detection. No default of 50 here (the catalogue's SubClass has it): on
    # INSERT the ORM would put a column default in place of an explicit None.
    duplicate_radius_m: int | None = None
    duplicate_window_hours: int = 72


class Grid(SQLModel, table=True):
    code: str = Field(primary_key=True)
    name: str
    community: str
    street: str
    district: str
    ring: list[Any] = Field(sa_column=Column(JSON, nullable=False))


class AreaRow(SQLModel, table=True):
    """A district, street or community of the map (its grids are in `grid`): GET /map draws them."""

    __tablename__ = "area"
    code: str = Field(primary_key=True)  # CJ/T 349: district 6 digits, street 9, community 12
    level: str = Field(index=True)  # district / street / community
    name: str
    parent: str | None = None
    ring: list[Any] = Field(sa_column=Column(JSON, nullable=False))  # outer ring, (lon, lat) WGS-84


class RoutingRuleRow(SQLModel, table=True):
    """One version of a routing rule (domain/routing.py); rows are added and ended, never edited
    otherwise: a change adds version n+1 and ends version n the day the new one starts."""

    __tablename__ = "routing_rule"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(index=True)
    version: int = 1
    category: str = Field(index=True)  # sub-class or big class code
    area: str | None = None  # district / street / community / grid code; None: anywhere
    department: str
    priority: int = 0
    effective_from: date
    effective_to: date | None = Field(default=None, index=True)  # exclusive
    note: str | None = None
    created_at: datetime
    created_by: str
    ended_at: datetime | None = None  # when it was ended (by a new version or by hand)
    ended_by: str | None = None


class DeadlineRuleRow(SQLModel, table=True):
    """Deadline policy rows an admin changes without a redeploy; they win over the defaults."""

    __tablename__ = "deadline_rule"
    id: int | None = Field(default=None, primary_key=True)
    stage: str
    amount: float
    unit: str
    category: str | None = Field(default=None, index=True)
    urgency: str | None = None


class SubjectRow(SQLModel, table=True):
    """A shop, school or building tickets may concern; its colour is projected by its workflow."""

    __tablename__ = "subject"
    code: str = Field(primary_key=True)  # the "sunshine code" posted at the door
    name: str
    kind: str  # shop / school / building / …
    grid: str = Field(index=True)
    colour: str = Field(default="white", index=True)
    open_problems: int = 0
    observation_until: datetime | None = None
    recheck_due: bool = False
    seq: int = 0
    state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
