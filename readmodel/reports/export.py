"""A report as CSV (its rows: UTF-8 with a BOM, for Excel, as /metrics.csv) and as XLSX (the rows,
the most overdue tickets and what the report is, a sheet each)."""

import csv
import io
from typing import Any

from openpyxl import Workbook

from domain.calendar import SHANGHAI
from readmodel.reports.figures import OverdueTicket, ReportContent, ReportRow

CSV_COLUMNS = ["section", *ReportRow.model_fields]
OVERDUE_COLUMNS = list(OverdueTicket.model_fields)
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename(content: ReportContent, extension: str) -> str:
    return f"gridflow-{content.report_id}.{extension}"


def _cell(value: Any) -> Any:
    return "" if value is None else value


def rows_of(content: ReportContent) -> list[list[Any]]:
    """One line per district, street and department, in CSV_COLUMNS order; None is empty."""
    return [
        [section.value, *(_cell(v) for v in row.model_dump().values())]
        for section, rows in content.sections()
        for row in rows
    ]


def overdue_of(content: ReportContent) -> list[list[Any]]:
    """The most overdue tickets, in OVERDUE_COLUMNS order; the deadline in Asia/Shanghai time."""
    out = []
    for ticket in content.most_overdue:
        values = ticket.model_dump()
        if ticket.due_at is not None:
            values["due_at"] = ticket.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        out.append([_cell(values[c]) for c in OVERDUE_COLUMNS])
    return out


def csv_bytes(content: ReportContent) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows_of(content))
    return out.getvalue().encode("utf-8")


def xlsx_bytes(content: ReportContent) -> bytes:
    book = Workbook()
    figures = book.active
    assert figures is not None  # a new workbook has its one sheet
    figures.title = "figures"
    figures.append(CSV_COLUMNS)
    for line in rows_of(content):
        figures.append(line)
    overdue = book.create_sheet("most_overdue")
    overdue.append(OVERDUE_COLUMNS)
    for line in overdue_of(content):
        overdue.append(line)
    about = book.create_sheet("report")
    for key in ("report_id", "kind", "title", "day", "period_start", "period_end", "timezone"):
        about.append([key, str(getattr(content, key))])
    about.append(["compiled_at", content.compiled_at.astimezone(SHANGHAI).isoformat()])
    about.append(["days_late_unit", content.days_late_unit])
    about.append(["calendar_known", content.calendar_known])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
