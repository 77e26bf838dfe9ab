"""The periodic reports (docs/reports.md): the `report` table (tables.py), the figures a report
holds (figures.py: its content, pure), how they are read from the ticket projection (compile.py,
reusing the metrics' and the overdue list's queries), stored and listed (store.py), and written
out as CSV and XLSX (export.py)."""
