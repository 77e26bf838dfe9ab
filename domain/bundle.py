"""A city bundle: everything a city sets up, as data, before any of it reaches the database.

A bundle is a map (district, streets, communities and grid cells, CJ/T 349 codes), departments,
a catalogue (big classes and sub-classes, domain/categories.py), routing rules
(domain/routing.py), deadline rules (domain/policy.py, optional) and users. The parts are the
domain's own types, so a dry run can compare them with the read model item by item; only
departments and users, which the domain has no type for, are defined here.

Every item remembers where it came from (`Bundle.rows`): the 1-based spreadsheet row (the header
is row 1) or the 1-based position of a map feature, so a Problem can name it. Pure: no I/O.
docs/city-bundle.md describes the files.
"""

from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

from domain.categories import BigClass, Catalogue, SubClass
from domain.geo import Area, GridCell
from domain.policy import PolicyRule
from domain.routing import RoutingRule
from domain.states import Role

# The files of a bundle, by part; each table may be .csv or .xlsx, the map .geojson or .shp.
FILES = {
    "map": "map.geojson",
    "departments": "departments.csv",
    "catalogue": "catalogue.csv",
    "routing": "routing.csv",
    "deadlines": "deadlines.csv",
    "users": "users.csv",
}
OPTIONAL_FILES = frozenset({"deadlines"})


class Columns(NamedTuple):
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


# Each table's columns, in the order an export writes them (docs/city-bundle.md explains them).
COLUMNS = {
    "departments": Columns(("code", "name")),
    "catalogue": Columns(
        ("code", "name_zh"),
        (
            "name_en",
            "default_department",
            "urgency",
            "duplicate_radius_m",
            "duplicate_window_hours",
        ),
    ),
    "routing": Columns(
        ("rule_id", "category", "department"),
        ("area", "priority", "version", "effective_from", "effective_to"),
    ),
    "deadlines": Columns(("stage", "amount", "unit"), ("category", "urgency")),
    "users": Columns(("user_id", "name", "role"), ("department", "grids", "area", "password")),
}

Part = Literal[
    "areas", "grids", "departments", "classes", "subclasses", "routing", "deadlines", "users"
]
FILE_OF_PART: dict[str, str] = {
    "areas": "map",
    "grids": "map",
    "departments": "departments",
    "classes": "catalogue",
    "subclasses": "catalogue",
    "routing": "routing",
    "deadlines": "deadlines",
    "users": "users",
}
# Roles a city gives its people; `system` is gridflow's own.
BUNDLE_ROLES = frozenset(r.value for r in Role if r is not Role.SYSTEM)


# Codes and user ids as the admin API takes them (api/schemas.py ID_PATTERN).
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"


class Department(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=100)


class BundleUser(BaseModel):
    """A user as a city lists them. The role stays a string so that an unknown one is a Problem
    with its row, not a parse failure. The password is the initial one (None: the admin sets one
    later); a later import never changes the password of a user who already exists."""

    user_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    role: str
    department: str | None = None
    grids: list[str] = Field(default_factory=list)
    area: str | None = None  # a supervisor's district or street (or community) code
    password: str | None = None


class Problem(BaseModel):
    """One thing wrong with a bundle, named by file, row or feature, and field."""

    file: str  # as in the bundle: "users.xlsx", "map.geojson"
    row: int | None = None  # 1-based: the spreadsheet row (header = 1), or the feature's position
    feature: str | None = None  # a map feature's code
    field: str | None = None  # the column or GeoJSON property; "geometry" for the shape
    message: str
    message_zh: str

    def __str__(self) -> str:
        where = [self.file]
        if self.feature:
            where.append(f"feature {self.feature}")
        if self.row is not None:
            where.append(f"#{self.row}" if self.feature else f"row {self.row}")
        if self.field:
            where.append(self.field)
        return f"{' '.join(where)}: {self.message}"


class Bundle(BaseModel):
    areas: list[Area] = Field(default_factory=list)  # districts, streets, communities
    grids: list[GridCell] = Field(default_factory=list)
    departments: list[Department] = Field(default_factory=list)
    classes: list[BigClass] = Field(default_factory=list)
    subclasses: list[SubClass] = Field(default_factory=list)
    routing: list[RoutingRule] = Field(default_factory=list)
    deadlines: list[PolicyRule] = Field(default_factory=list)
    users: list[BundleUser] = Field(default_factory=list)
    files: dict[str, str] = Field(
        default_factory=lambda: dict(FILES), description="the file each part was read from"
    )
    rows: dict[str, list[int]] = Field(
        default_factory=dict,
        description="per part, the row or feature position of each item; a part without it is "
        "numbered in order (tables from row 2, the map from feature 1)",
    )
    unread: set[str] = Field(
        default_factory=set,
        description="files (keys of FILES) that could not be read: nothing is known of their "
        "items, so check() does not call references to them unknown",
    )

    def file_of(self, part: str) -> str:
        return self.files.get(FILE_OF_PART[part], FILES[FILE_OF_PART[part]])

    def row_of(self, part: str, index: int) -> int:
        rows = self.rows.get(part)
        if rows is not None and index < len(rows):
            return rows[index]
        if part == "grids" and "areas" not in self.rows:  # one feature list: areas, then grids
            return len(self.areas) + index + 1
        return index + 1 if FILE_OF_PART[part] == "map" else index + 2

    def problem(
        self, part: str, index: int, field: str | None, message: str, message_zh: str
    ) -> Problem:
        """A problem with the index-th item of a part (areas and grids are named by code)."""
        feature = None
        if part == "areas":
            feature = self.areas[index].code
        elif part == "grids":
            feature = self.grids[index].code
        return Problem(
            file=self.file_of(part),
            row=self.row_of(part, index),
            feature=feature,
            field=field,
            message=message,
            message_zh=message_zh,
        )

    def catalogue(self) -> Catalogue:
        """The catalogue as the read model stores it (raises on what check() reports)."""
        return Catalogue(classes=self.classes, subclasses=self.subclasses)

    def area_codes(self) -> set[str]:
        return {a.code for a in self.areas} | {g.code for g in self.grids}

    def knows(self, part: str) -> bool:
        """Whether the part's file was read, so a reference to something not in it is wrong."""
        return FILE_OF_PART[part] not in self.unread
