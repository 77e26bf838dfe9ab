"""The working calendar as loaded from the read model, reloaded when an admin loads a year."""

import asyncio
from collections.abc import Sequence
from datetime import time

from sqlalchemy import func
from sqlmodel import select

from domain.calendar import ChinaWorkingCalendar
from readmodel.db import Database
from readmodel.reference.calendar_store import load_calendar
from readmodel.reference.calendar_tables import WorkCalendarYear


class CalendarSource:
    def __init__(self, *, db: Database, working_hours: Sequence[tuple[time, time]]) -> None:
        self.db, self.working_hours = db, working_hours
        self._calendar: ChinaWorkingCalendar | None = None
        self._version: tuple[object, ...] | None = None  # (years loaded, last loaded_at)
        self._lock = asyncio.Lock()

    async def get(self) -> ChinaWorkingCalendar:
        async with self._lock, self.db.session() as session:
            version = tuple(
                (
                    await session.exec(select(func.count(), func.max(WorkCalendarYear.loaded_at)))
                ).one()
            )
            if self._calendar is None or version != self._version:
                self._calendar = await load_calendar(
                    session=session, working_hours=self.working_hours
                )
                self._version = version
            return self._calendar
