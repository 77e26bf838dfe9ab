"""What the public sees of a ticket through Open311 GeoReport v2 (docs/open311.md): the spec's
two statuses, a plain status note, and the date the city expects it fixed. Pure; no I/O.

Open311 has only `open` and `closed`; the note says how far along an open ticket is. Who
reported it, the description, the photos and every actor's notes stay inside: grid workers and
sensors write operational text that can name residents, and none of it is the public's."""

from collections.abc import Iterable
from datetime import datetime

from domain.models import Deadline
from domain.states import OPEN_STATUSES, DeadlineStage, TicketStatus

OPEN, CLOSED = "open", "closed"

_NOTES = {
    TicketStatus.SUBMITTED: "received; being sent to the department responsible",
    TicketStatus.DUPLICATE_REVIEW: "received; being checked against a report of the same problem",
    TicketStatus.ROUTED: "received; being sent to the department responsible",
    TicketStatus.MANUAL_DISPATCH: "received; the command centre is choosing the department",
    TicketStatus.DISPATCHED: "sent to the department responsible",
    TicketStatus.CLAIMED: "accepted by the department responsible",
    TicketStatus.VERIFYING: "the department is checking the problem on site",
    TicketStatus.RECTIFYING: "the department is fixing the problem",
    TicketStatus.RESOLVED: "fixed; waiting for the grid worker's check on site",
    TicketStatus.WRITTEN_OFF: "fixed and checked on site",
    TicketStatus.ARCHIVED: "fixed and checked on site",
    TicketStatus.CANCELLED: "closed without action: not a problem the city handles here",
    TicketStatus.MERGED: "closed: the same problem was already reported",
}


def public_status(status: TicketStatus) -> str:
    return OPEN if status in OPEN_STATUSES else CLOSED


def status_note(
    status: TicketStatus,
    *,
    merged_into: str | None = None,
    cancelled: bool = False,
    parked: bool = False,
) -> str:
    """The status in words; a merged report names the one it joined (its id is public too)."""
    if status is TicketStatus.ARCHIVED:  # archived after it finished: say how it finished
        status = (
            TicketStatus.MERGED
            if merged_into
            else TicketStatus.CANCELLED
            if cancelled
            else TicketStatus.WRITTEN_OFF
        )
    if status is TicketStatus.MERGED and merged_into:
        return f"{_NOTES[status]} as {merged_into}"
    if parked and status in OPEN_STATUSES:
        return f"{_NOTES[status]}; on hold, waiting on work outside the department"
    return _NOTES[status]


def expected_at(status: TicketStatus, deadlines: Iterable[Deadline]) -> datetime | None:
    """The handling limit's due date (处置时限) while the ticket is open: when the city expects
    the problem fixed. None before dispatch, once closed, or when the limit was voided."""
    if status not in OPEN_STATUSES:
        return None
    handling = [d for d in deadlines if d.stage is DeadlineStage.HANDLE and d.voided_at is None]
    return handling[-1].due_at if handling else None


def progress(
    changes: Iterable[tuple[datetime, TicketStatus]], *, merged_into: str | None = None
) -> list[tuple[datetime, str]]:
    """The update history (the spec's `notes` extension): each status the ticket entered, in
    words, once — the archive is bookkeeping, and routing then dispatch read as one step."""
    notes: list[tuple[datetime, str]] = []
    for at, status in changes:
        if status is TicketStatus.ARCHIVED:
            continue
        words = status_note(status, merged_into=merged_into)
        if not notes or notes[-1][1] != words:
            notes.append((at, words))
    return notes
