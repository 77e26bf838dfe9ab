"""What a ticket's id looks like: the shape every ticket workflow's id has, and no other has.

A report's ticket is `GF-` and 12 hex digits of sha256(reporter, idempotency key); a sensor's is
`GF-S` and 11 (api/tickets_service.py derives both). Subject workflows (`subject-…`) and anything
else fail the check, so an id from a request can be told apart before any workflow is asked.
"""

import re

TICKET_ID = re.compile(r"GF-(?:[0-9A-F]{12}|S[0-9A-F]{11})")
PATTERN = TICKET_ID.pattern


def is_ticket_id(value: str) -> bool:
    return TICKET_ID.fullmatch(value) is not None
