"""The read model: what the API lists and reads, in SQLite or PostgreSQL (SQLModel).

    tickets/    the ticket projection, written by the ticket activities only, and its reads:
                lists and queues, metrics, the battle map, the archive's hash chain,
                reconciliation with the workflows; the tickets' photos
    reference/  what routing and deadlines read and an admin keeps: departments, the category
                catalogue, the map, routing and deadline rules, the working calendar, subjects
    access/     who may call the API and what each call did: users, API keys, revoked tokens,
                the audit log
    db.py       engine and sessions; registers every table
    migrate.py  the schema's migrations (migrations/) and the check that a database is at head
    seed.py     the demo city, into all three

The ticket projection reads reference data; nothing else crosses between the three
(tests/test_layers.py). The admin commands that act on the read model are in gridflow_admin/.
"""
