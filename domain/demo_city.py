"""The demo city, in one namespace: map, catalogue and routing, people (see domain/demo/)."""

from domain.demo.catalogue import (
    CATALOGUE,
    CATEGORIES,
    CLASSES,
    DEADLINE_RULES,
    DEPARTMENTS,
    RULES,
)
from domain.demo.geography import COMMUNITIES, DISTRICT, GRIDS, STREETS
from domain.demo.people import SUPERVISOR_AREAS, USERS

__all__ = [
    "CATALOGUE",
    "CATEGORIES",
    "CLASSES",
    "COMMUNITIES",
    "DEADLINE_RULES",
    "DEPARTMENTS",
    "DISTRICT",
    "GRIDS",
    "RULES",
    "STREETS",
    "SUPERVISOR_AREAS",
    "USERS",
]
