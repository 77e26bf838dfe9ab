"""The ticket projection (tables.py, projection.py: one seq-guarded write per ticket event) and
what is read from it: queries (one ticket, inboxes, queues, the overdue list), metrics and
daily_metrics, battle_map, archive_chain, reconcile (against the workflows), photo_store."""
