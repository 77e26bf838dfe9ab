"""What a report holds (its content, stored whole as JSON) and how its rows are tallied. Pure.

Rows per district, street and department; every figure is defined in docs/reports.md. In short:

* of the period's reports, as GET /metrics counts them for the same days (cancelled and merged
  ones left out, a department's being its current or last one): ``new`` (/metrics `tickets`),
  ``closed_on_time`` and ``on_time_close_rate`` 按期结案率 (the same names there);
* of what happened in the period: ``dispatched`` (tickets dispatched, once per ticket and
  department), ``written_off`` 销号 (as GET /metrics/daily counts them) and of those
  ``written_off_on_time`` (no deadline ever breached) and ``on_time_write_off_rate`` 按期销号率,
  ``rework`` (write-off checks rejected: 返工) and ``returned`` (returns by a department: 退回);
* as of the compile time: ``open`` 在办 and ``overdue`` 超期 (as the overdue list counts them).

A rate with a zero denominator is None; rates are rounded to 4 places as /metrics rounds them.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from domain.reports import ReportKind

UNASSIGNED = "unassigned"


class Section(StrEnum):
    DISTRICT = "district"
    STREET = "street"
    DEPARTMENT = "department"


class ReportRow(BaseModel):
    group: str  # a district, street or department code, or `unassigned`
    name: str | None = None
    new: int = 0
    closed_on_time: int = 0
    on_time_close_rate: float | None = None
    dispatched: int = 0
    written_off: int = 0
    written_off_on_time: int = 0
    on_time_write_off_rate: float | None = None
    rework: int = 0
    returned: int = 0
    open: int = 0
    overdue: int = 0


class OverdueTicket(BaseModel):
    ticket_id: str
    category: str
    department: str | None
    department_name: str | None = None
    street: str
    street_name: str | None = None
    due_at: datetime | None  # the deadline it is late for
    days_late: float | None  # natural days (24 h) from due_at to the compile time, 1 decimal
    escalation_level: int = 0


class ReportContent(BaseModel):
    report_id: str
    kind: ReportKind
    title: str
    day: date  # the day of issue
    period_start: date
    period_end: date  # exclusive
    compiled_at: datetime  # `open`, `overdue` and the most overdue are as of this instant
    timezone: str = "Asia/Shanghai"
    calendar_known: bool = True  # False: the working calendar lacks the year of `day`
    days_late_unit: str = "natural_days"
    districts: list[ReportRow]
    streets: list[ReportRow]
    departments: list[ReportRow]
    most_overdue: list[OverdueTicket]  # the ten most overdue, the overdue list's first page

    def sections(self) -> list[tuple[Section, list[ReportRow]]]:
        return [
            (Section.DISTRICT, self.districts),
            (Section.STREET, self.streets),
            (Section.DEPARTMENT, self.departments),
        ]

    def total(self) -> ReportRow:
        """The districts summed (one district: its row)."""
        if len(self.districts) == 1:
            return self.districts[0]
        summed = Tally(**{c: sum(getattr(r, c) for r in self.districts) for c in Tally.COUNTS})
        return summed.row("total", None, dispatched=sum(r.dispatched for r in self.districts))


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass
class Tally:
    """One row's counts while they are being read."""

    COUNTS = (
        "new",
        "closed_on_time",
        "written_off",
        "written_off_on_time",
        "rework",
        "returned",
        "open",
        "overdue",
    )
    new: int = 0
    closed_on_time: int = 0
    written_off: int = 0
    written_off_on_time: int = 0
    rework: int = 0
    returned: int = 0
    open: int = 0
    overdue: int = 0
    dispatched: set[str] = field(default_factory=set)  # ticket ids

    def row(self, group: str, name: str | None, *, dispatched: int | None = None) -> ReportRow:
        return ReportRow(
            group=group,
            name=name,
            **{c: getattr(self, c) for c in self.COUNTS},
            dispatched=len(self.dispatched) if dispatched is None else dispatched,
            on_time_close_rate=rate(self.closed_on_time, self.new),
            on_time_write_off_rate=rate(self.written_off_on_time, self.written_off),
        )


class Tallies:
    """Tallies per section and group; a ticket's figure is added to each row it belongs to."""

    def __init__(self) -> None:
        self.by: dict[Section, dict[str, Tally]] = {s: defaultdict(Tally) for s in Section}

    def at(self, section: Section, group: str | None) -> Tally:
        return self.by[section][group or UNASSIGNED]

    def rows(
        self, section: Section, names: Mapping[str, str], known: Iterable[str] = ()
    ) -> list[ReportRow]:
        """One row per group that has a figure or is `known` (a street of the map, a
        department), by code, `unassigned` last."""
        tallies = self.by[section]
        for code in known:
            tallies.setdefault(code, Tally())  # a known group is listed, at zero
        order = sorted(tallies, key=lambda g: (g == UNASSIGNED, g))
        return [tallies[g].row(g, names.get(g)) for g in order]


def summary(content: ReportContent) -> list[str]:
    """The headline figures, a line each (the notice's text)."""
    t = content.total()
    start, last = content.period_start, content.period_end.toordinal() - 1
    days = (
        start.isoformat()
        if start.toordinal() == last
        else f"{start.isoformat()} 至 {date.fromordinal(last).isoformat()}"
    )
    lines = [
        f"统计 {days}",
        f"新增 {t.new} 件，派遣 {t.dispatched} 件，销号 {t.written_off} 件"
        f"（按期 {t.written_off_on_time} 件）",
        f"在办 {t.open} 件，其中超期 {t.overdue} 件",
        f"返工 {t.rework} 次，退回 {t.returned} 次",
    ]
    if content.most_overdue:
        worst = content.most_overdue[0]
        late = "" if worst.days_late is None else f"，超期 {worst.days_late} 天"
        who = worst.department_name or worst.department or "未派遣"
        lines.append(f"超期最久：{worst.ticket_id}（{who}{late}）")
    if not content.calendar_known:
        lines.append(f"工作日历缺少 {content.day.year} 年：本期照常编制，请加载该年日历")
    return lines
