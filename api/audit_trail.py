"""What one request asks of Temporal, for its audit rows (api/audit.py writes them).

The service that asks Temporal to act calls `before_temporal` first: the intent row (outcome
`pending`, with the call's id) is written and committed before anything is asked, so whatever
happens next — a 503, a dropped connection, the API killed — the audit holds the attempt, and
readmodel/access/audit_resolve.py settles it from the workflow's record. An intent that cannot be
written stops the action (503, nothing asked): an action the audit cannot hold is not taken.

A context variable rather than a parameter: the middleware sets it around each request, and the
services under the routes reach it without every route handing the request down.
"""

import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

import structlog

from api.errors import RETRY_AFTER_S, ApiError

log = structlog.get_logger("gridflow.audit")


class Trail:
    """One request's call to Temporal: which kind, its id, the ticket, the event it recorded."""

    def __init__(self, write_intent: Callable[["Trail"], Awaitable[None]]) -> None:
        self._write_intent = write_intent
        self.call: str | None = None  # readmodel.access.audit.CALLS
        self.call_id: str | None = None
        self.ticket_id: str | None = None
        self.seq: int | None = None


current: ContextVar[Trail | None] = ContextVar("audit_trail", default=None)


async def before_temporal(*, call: str, ticket_id: str, call_id: str | None = None) -> str:
    """Write the intent; the call's id (an update sends it as its own id, a signal in its
    payload). `ticket_id` is the workflow asked (a subject's: `subject-<code>`). Given the id of
    the request's call, the intent names another workflow the same call now goes to (a sensor's
    reading tried on the device's next ticket): the latest intent of a call says where it went.
    Raises ApiError 503 when the intent cannot be written."""
    call_id = call_id or uuid.uuid4().hex
    trail = current.get()
    if trail is None:  # not under the API (a tool or a test calling the service itself)
        return call_id
    trail.call, trail.call_id, trail.ticket_id, trail.seq = call, call_id, ticket_id, None
    try:
        await trail._write_intent(trail)
    except Exception as err:
        trail.call = trail.call_id = None
        log.error(
            "audit intent write failed", failure=type(err).__name__, ticket_id=ticket_id, call=call
        )
        raise ApiError(
            503,
            f"the audit log cannot be written right now, so nothing was done; "
            f"retry in {RETRY_AFTER_S} s",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from None
    return call_id


def recorded(*, seq: int | None) -> None:
    """The ticket event the call recorded (its request's final row names it)."""
    trail = current.get()
    if trail is not None:
        trail.seq = seq
