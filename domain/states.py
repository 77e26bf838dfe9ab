"""Ticket states, roles and the actions people take on a ticket."""
from enum import StrEnum


class TicketStatus(StrEnum):
    SUBMITTED = "submitted"
    ROUTED = "routed"
    MANUAL_DISPATCH = "manual_dispatch"  # no routing rule matched, or returned by a department
    DISPATCHED = "dispatched"
    CLAIMED = "claimed"
    VERIFYING = "verifying"  # department on site, finding not yet recorded
    RECTIFYING = "rectifying"
    RESOLVED = "resolved"  # waiting for the write-off check on site
    WRITTEN_OFF = "written_off"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


OPEN_STATUSES = frozenset(
    {
        TicketStatus.SUBMITTED,
        TicketStatus.ROUTED,
        TicketStatus.MANUAL_DISPATCH,
        TicketStatus.DISPATCHED,
        TicketStatus.CLAIMED,
        TicketStatus.VERIFYING,
        TicketStatus.RECTIFYING,
        TicketStatus.RESOLVED,
    }
)

# Statuses in which the ticket sits in a department's inbox.
DEPARTMENT_STATUSES = frozenset(
    {
        TicketStatus.DISPATCHED,
        TicketStatus.CLAIMED,
        TicketStatus.VERIFYING,
        TicketStatus.RECTIFYING,
    }
)


class Role(StrEnum):
    GRID_WORKER = "grid_worker"
    DEPARTMENT_STAFF = "department_staff"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"


class Action(StrEnum):
    SUBMIT = "submit"
    ROUTE = "route"
    DISPATCH = "dispatch"
    CLAIM = "claim"
    RETURN = "return"
    START_VERIFICATION = "start_verification"
    VERIFY = "verify"
    RECTIFIED = "rectified"
    WRITE_OFF = "write_off"
    REJECT = "reject"
    CANCEL = "cancel"
    ARCHIVE = "archive"
    DEADLINE_BREACHED = "deadline_breached"


class FindingOutcome(StrEnum):
    NOT_FOUND = "not_found"
    FIXED_ON_SITE = "fixed_on_site"
    NEEDS_RECTIFICATION = "needs_rectification"


class Severity(StrEnum):
    YELLOW = "yellow"  # rectify by a deadline
    RED = "red"  # major hazard: stop and rectify


class CancelKind(StrEnum):
    INVALID = "invalid"
    DUPLICATE = "duplicate"


class DeadlineStage(StrEnum):
    DISPATCH = "dispatch"
    CLAIM = "claim"
    VERIFY = "verify"
    RECTIFY = "rectify"
    WRITE_OFF = "write_off"
