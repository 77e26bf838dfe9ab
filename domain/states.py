"""Ticket states, roles and the actions people take on a ticket."""

from enum import IntEnum, StrEnum


class TicketStatus(StrEnum):
    SUBMITTED = "submitted"
    DUPLICATE_REVIEW = "duplicate_review"  # a probable duplicate: a supervisor merges or keeps it
    ROUTED = "routed"
    MANUAL_DISPATCH = "manual_dispatch"  # no routing rule matched, or returned by a department
    DISPATCHED = "dispatched"
    CLAIMED = "claimed"
    VERIFYING = "verifying"  # department on site, finding not yet recorded
    RECTIFYING = "rectifying"
    RESOLVED = "resolved"  # waiting for the write-off check on site
    WRITTEN_OFF = "written_off"
    CANCELLED = "cancelled"
    MERGED = "merged"  # merged into another ticket (并单): no work of its own
    ARCHIVED = "archived"


OPEN_STATUSES = frozenset(
    {
        TicketStatus.SUBMITTED,
        TicketStatus.DUPLICATE_REVIEW,
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
    SENSOR = "sensor"  # a machine client: a smart-community gateway reporting for its devices
    ADMIN = "admin"  # manages configuration (calendar, rules, map, users, API keys), not tickets
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
    DEADLINE_WARNING = "deadline_warning"
    ESCALATE = "escalate"
    REMIND = "remind"  # 催办: the daily reminder while overdue
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    REQUEST_PARKING = "request_parking"
    APPROVE_PARKING = "approve_parking"
    REFUSE_PARKING = "refuse_parking"
    UNPARK = "unpark"
    CALENDAR_ALERT = "calendar_alert"
    FLAG_DUPLICATE = "flag_duplicate"
    MERGE = "merge"
    KEEP_SEPARATE = "keep_separate"
    MERGED_REPORT = "merged_report"  # another report was merged into this ticket
    SENSOR_REPEAT = "sensor_repeat"  # a deadline could not be planned: the calendar lacks a year
    URGE = "urge"  # 催办 by a supervisor, with a message (REMIND is the clock's own)
    REDATE = "redate"  # running deadlines moved: the working calendar changed (a year's notice)


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
    HANDLE = "handle"  # the category's handling limit (处置时限), from dispatch to resolved


# Stages a department answers for (extensions and parking apply to these).
DEPARTMENT_STAGES = frozenset(
    {DeadlineStage.CLAIM, DeadlineStage.VERIFY, DeadlineStage.HANDLE, DeadlineStage.RECTIFY}
)


class Unit(StrEnum):
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    HOURS = "hours"  # natural hours, 24/7: urgent tickets


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class EscalationLevel(IntEnum):
    """Small matters stay in the grid, big ones climb: grid -> community -> street -> district."""

    NONE = 0
    GRID = 1
    COMMUNITY = 2
    STREET = 3
    DISTRICT = 4
