"""催办 (urge): a supervisor presses a ticket's department in their own words. Pure: the workflow
validates with domain.lifecycle, records here, then publishes the notice this returns.

The clock's own reminders while a ticket is overdue are `remind` events, counted in
`reminder_count`; a supervisor's are `urge` events, counted in `urge_count`.
"""

from datetime import datetime

from domain.actions import UrgeInput
from domain.alarms import Notice
from domain.models import TicketSnapshot
from domain.states import Action
from domain.transitions import record


def urge(t: TicketSnapshot, request: UrgeInput, now: datetime) -> Notice:
    """Record the 催办 on the timeline; the notice to the ticket's department."""
    assert t.department is not None  # lifecycle: only a ticket in a department is urged
    t.urge_count += 1
    message = request.message.strip()
    record(
        t,
        now=now,
        actor=request.actor,
        action=Action.URGE,
        reason=message,
        data={"message": message, "count": t.urge_count},
    )
    return Notice(kind="urge", target=t.department, data={"message": message})
