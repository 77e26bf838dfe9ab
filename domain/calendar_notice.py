"""Carrying a year's holiday notice to the running tickets: the CalendarNoticeWorkflow's input,
its activity's messages and its progress (workflows/calendar_notice.py,
activities/calendar_notice.py; docs/deadlines.md)."""

from datetime import date, datetime

from pydantic import BaseModel, Field

CALENDAR_NOTICE_WORKFLOW = "CalendarNoticeWorkflow"
REDATE_PAGE = "redate_page"


def notice_workflow_id(year: int, digest: str) -> str:
    """One workflow per year and notice: the same notice loaded twice re-dates once."""
    return f"calendar-notice-{year}-{digest[:16]}"


class YearDays(BaseModel):
    holidays: list[date]
    workdays: list[date]

    def days(self) -> dict[date, bool]:
        return {d: False for d in self.holidays} | {d: True for d in self.workdays}


class NoticeInput(BaseModel):
    year: int
    source: str
    loaded_by: str  # the admin's user id
    loaded_at: datetime  # deadlines started since were dated on the notice already
    # The official days the notice replaced (a correction); None: the year was provisional.
    previous: YearDays | None = None


class RedatePageInput(BaseModel):
    notice: NoticeInput
    after: str | None = None  # the last ticket id of the page before


class RedatePageResult(BaseModel):
    scanned: int = 0  # open tickets looked at
    redated: int = 0  # tickets whose deadlines changed (moved, or only lost the provisional mark)
    moved: int = 0  # tickets with a deadline whose due moved
    skipped: list[str] = Field(default_factory=list)  # closed or changed meanwhile: nothing done
    next_after: str | None = None  # None: every candidate has been seen


class NoticeProgress(BaseModel):
    year: int
    source: str
    scanned: int = 0
    redated: int = 0
    moved: int = 0
    skipped: list[str] = Field(default_factory=list)
    done: bool = False

    def add(self, page: RedatePageResult) -> None:
        self.scanned += page.scanned
        self.redated += page.redated
        self.moved += page.moved
        self.skipped = (self.skipped + page.skipped)[-1000:]  # the last ones; counts stay whole
