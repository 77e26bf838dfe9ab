"""A bundle's tables (CSV or XLSX) as rows of text, each with its spreadsheet row number.

CSV is UTF-8 (with or without Excel's BOM) or, failing that, GB18030 (what Excel in China saves);
an XLSX's first sheet is read, its numbers and dates turned into the text they show. Row 1 is the
header; blank rows are skipped but keep their numbers. What cannot be read is a Problem.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import load_workbook

from domain.bundle import Columns, Problem


@dataclass
class Table:
    file: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number, cells)


def problem(file: str, row: int | None, column: str | None, en: str, zh: str) -> Problem:
    return Problem(file=file, row=row, field=column, message=en, message_zh=zh)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number: 330106001001.0 is 330106001001
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    except Exception as e:  # openpyxl's own errors for a broken file are many and unrelated
        raise ValueError(f"not a readable XLSX workbook ({type(e).__name__}: {e})") from e


def read_table(file: str, data: bytes, columns: Columns) -> tuple[Table | None, list[Problem]]:
    """The table's rows by column name; None when its header makes the rows unreadable."""
    try:
        if file.lower().endswith(".xlsx"):
            cells = _xlsx_rows(data)
        else:
            cells = _csv_rows(data)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, csv.Error) as e:
        return None, [problem(file, None, None, f"cannot be read: {e}", f"无法读取该文件：{e}")]
    if not cells or not any(cells[0]):
        return None, [problem(file, 1, None, "no header row", "缺少表头行（第 1 行应为列名）")]
    header = [c.strip().lower() for c in cells[0]]
    while header and not header[-1]:
        header.pop()
    problems = _header_problems(file, header, columns)
    if any(p.field in columns.required or p.field is None for p in problems):
        return None, problems
    table = Table(file)
    for number, row in enumerate(cells[1:], start=2):
        if not any(row):
            continue
        if any(row[len(header) :]):
            problems.append(
                problem(
                    file,
                    number,
                    None,
                    f"more cells than the {len(header)} columns of the header",
                    f"单元格多于表头的 {len(header)} 列",
                )  # fmt: skip
            )
            continue
        row = (row + [""] * len(header))[: len(header)]
        table.rows.append((number, {n: v for n, v in zip(header, row, strict=True) if n}))
    return table, problems


def _header_problems(file: str, header: list[str], columns: Columns) -> list[Problem]:
    known = set(columns.required) | set(columns.optional)
    expected = ", ".join([*columns.required, *columns.optional])
    problems = []
    for i, name in enumerate(header, start=1):
        if not name:
            problems.append(problem(file, 1, None, f"column {i} has no name", f"第 {i} 列没有列名"))
        elif name not in known:
            problems.append(
                problem(
                    file,
                    1,
                    name,
                    f"unknown column {name!r} (the columns are: {expected})",
                    f"未知列 {name!r}（可用的列：{expected}）",
                )  # fmt: skip
            )
        elif header.index(name) != i - 1:
            problems.append(problem(file, 1, name, f"column {name!r} repeats", f"列 {name!r} 重复"))
    for name in columns.required:
        if name not in header:
            problems.append(
                problem(
                    file,
                    1,
                    name,
                    f"required column {name!r} is missing",
                    f"缺少必填列 {name!r}",
                )  # fmt: skip
            )
    return problems
