"""The {ticket_id} of every ticket route: a ticket's id, else 404 before any workflow is asked.

Without the check a route handed any id to Temporal, and a subject's workflow (`subject-…`) got
the ticket's queries and updates (and the caller a 500).
"""

from typing import Annotated

from fastapi import Depends, Path

from api.errors import ApiError
from domain.ticket_ids import is_ticket_id

SHOWN = 64  # an id this long is not a ticket's; the message needs no more of it


def ensure_ticket_id(ticket_id: str) -> str:
    if not is_ticket_id(ticket_id):
        raise ApiError(404, f"no ticket {ticket_id[:SHOWN]}")
    return ticket_id


def _ticket_id(
    ticket_id: Annotated[
        str,
        Path(
            description="a ticket's id, as the submission answered it: GF- and 12 hex digits "
            "(a sensor's ticket: GF-S and 11); any other id answers 404",
            examples=["GF-3F2A9C41B07E"],
        ),
    ],
) -> str:
    return ensure_ticket_id(ticket_id)


TicketId = Annotated[str, Depends(_ticket_id)]
