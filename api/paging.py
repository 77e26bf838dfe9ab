"""Paging: one dependency and one page model for every list route.

Every /api/v1 list takes `limit` and `offset` and answers a `Page`: its `items`, how many match in
all (`total`), and the `limit` and `offset` applied. A list route declares `paging: PageParams`
(50 a page, at most 200); the audit log, read in bigger pages, declares `AuditPaging` (100, at
most 500). The query parameters' names and bounds are the dependency's, so they cannot drift
apart from one router to the next.

Open311's service request list pages the GeoReport way, by page number (`page`, from 1) and
`page_size`, and answers a bare list as the spec does; `Open311Paging` reads those two and gives
the same `Paging` (offset = (page - 1) × page_size), so the queries below the routes see one
shape whichever facade asked.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

# An offset past this is no page anyone reads (and no integer a database chokes on).
MAX_OFFSET = 100_000
Item = TypeVar("Item")


@dataclass(frozen=True)
class Paging:
    """The window of a list a request asked for."""

    limit: int
    offset: int

    def window(self, items: Sequence[Item]) -> list[Item]:
        """This page of a list held in memory."""
        return list(items[self.offset : self.offset + self.limit])


def paging(*, default: int = 50, most: int = 200) -> Any:
    """The dependency type of a list route: `limit` (1 … `most`, default `default`), `offset`."""

    def read(
        limit: Annotated[int, Query(ge=1, le=most)] = default,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> Paging:
        return Paging(limit=limit, offset=offset)

    return Annotated[Paging, Depends(read)]


PageParams = paging()
AuditPaging = paging(default=100, most=500)


def _open311(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> Paging:
    return Paging(limit=page_size, offset=(page - 1) * page_size)


Open311Paging = Annotated[Paging, Depends(_open311)]


class Page(BaseModel, Generic[Item]):
    """One page of a list: the items, how many match in all, the window applied."""

    items: list[Item]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[Any], total: int, paging: Paging) -> Self:
        return cls(items=list(items), total=total, limit=paging.limit, offset=paging.offset)
