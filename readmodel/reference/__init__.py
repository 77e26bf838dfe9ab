"""Reference data, kept by an admin (API or gridflow_admin) and seeded with the demo city:
tables.py and calendar_tables.py, one store per subject (catalogue, map, routing, policy,
calendar, subject)."""
