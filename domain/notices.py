"""Who hears what, and when: notification events, audiences, channels, default subscriptions and
the working-hours rule. Pure: the read model resolves audiences to people, activities send.

An event is one thing somebody must hear about (a ticket's warning, a report, a 催办). Each
subscription (event kind × audience × channel) that matches it makes deliveries: one per person
on a personal channel (in-app, e-mail, SMS), one per group channel (a webhook, a WeCom or
DingTalk robot: the group is the channel's).
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.areas import GRID_DIGITS, LEVEL_OF_LENGTH

COMMAND_CENTRE = "command-centre"
_NAMESPACE = uuid.UUID("6f1d4a52-8f0e-4c5b-9a34-2d7e1c0b9e11")


class EventKind(StrEnum):
    WARNING = "warning"
    BREACH = "breach"
    ESCALATE = "escalate"  # a climb of the escalation ladder
    REMIND = "remind"  # the automatic 催办 of an overdue ticket
    REVIEW = "review"  # a parked ticket's review is due
    REPLAN = "replan"
    RETURN = "return"
    DUPLICATE = "duplicate"
    RECHECK = "recheck"  # a subject's colour asks for a re-check
    CALENDAR_ALERT = "calendar_alert"  # the working calendar is about to run out
    DAILY_REPORT = "daily_report"  # the daily 销号通报
    WEEKLY_REPORT = "weekly_report"
    MONTHLY_REPORT = "monthly_report"
    URGE = "urge"  # a supervisor's 催办
    SUPERVISE = "supervise"  # a 督办单 opened
    ORDER_BREACH = "order_breach"  # a 督办单 unanswered at its reply deadline
    ORDER_ESCALATE = "order_escalate"  # an unanswered 督办单 climbs a level
    REDATE = "redate"  # a ticket's running deadline moved with a year's holiday notice


class Audience(StrEnum):
    TARGET = "target"  # whoever the event names: a department, a grid, a level, the centre
    DEPARTMENT = "department"  # the ticket's department's on-duty staff
    GRID_WORKER = "grid_worker"  # the ticket's grid's workers
    LEVEL_SUPERVISOR = "level_supervisor"  # the supervisor of the level the ticket climbed to
    SUPERVISOR = "supervisor"  # the supervisors nearest over the ticket's place
    COMMAND_CENTRE = "command_centre"  # district supervisors (the city's command centre)


class ChannelKind(StrEnum):
    IN_APP = "in_app"
    WEBHOOK = "webhook"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    EMAIL = "email"
    SMS = "sms"


PERSONAL_CHANNELS = frozenset({ChannelKind.IN_APP, ChannelKind.EMAIL, ChannelKind.SMS})


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # the retry budget is spent: an admin may retry


class NoticeEvent(BaseModel):
    """One thing to tell. `event_id` is stable (retries and replays make the same one): receivers
    de-duplicate by it."""

    event_id: str
    kind: EventKind
    target: str | None = None  # a department code, a grid or area code, or COMMAND_CENTRE
    ticket_id: str | None = None
    seq: int = 0  # the ticket event it belongs to (0: not a ticket's)
    urgent: bool = False  # an urgent ticket's notices ignore working hours
    department: str | None = None  # the ticket's, for audiences and subscription scopes
    grid: str | None = None
    level: int | None = None
    stage: str | None = None
    due_at: datetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)  # what the message says beyond the above
    created_at: datetime


def event_id(*parts: object) -> str:
    """A stable id from what makes the event unique (e.g. ticket, seq, kind, target)."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(p) for p in parts)))


def target_kind(target: str | None) -> str:
    """department, grid, community, street, district or centre: how a target string reads."""
    if not target:
        return "none"
    if target == COMMAND_CENTRE:
        return "centre"
    if target.isdigit() and len(target) in LEVEL_OF_LENGTH:
        return LEVEL_OF_LENGTH[len(target)] if len(target) != GRID_DIGITS else "grid"
    return "department"


class DefaultSubscription(BaseModel):
    kind: EventKind
    audience: Audience


# The field's defaults (in-app): warnings to whoever answers for the stage, breaches to them and
# the supervisor over the place, each climb to the supervisor of that level, returns and
# duplicates to the command centre; reports to the centre; 催办 and 督办 to the department.
DEFAULT_SUBSCRIPTIONS = [
    DefaultSubscription(kind=k, audience=a)
    for k, a in [
        (EventKind.WARNING, Audience.TARGET),
        (EventKind.BREACH, Audience.TARGET),
        (EventKind.BREACH, Audience.SUPERVISOR),
        (EventKind.ESCALATE, Audience.LEVEL_SUPERVISOR),
        (EventKind.REMIND, Audience.TARGET),
        (EventKind.REVIEW, Audience.TARGET),
        (EventKind.REPLAN, Audience.COMMAND_CENTRE),
        (EventKind.RETURN, Audience.COMMAND_CENTRE),
        (EventKind.DUPLICATE, Audience.COMMAND_CENTRE),
        (EventKind.RECHECK, Audience.TARGET),
        (EventKind.CALENDAR_ALERT, Audience.COMMAND_CENTRE),
        (EventKind.DAILY_REPORT, Audience.COMMAND_CENTRE),
        (EventKind.WEEKLY_REPORT, Audience.COMMAND_CENTRE),
        (EventKind.MONTHLY_REPORT, Audience.COMMAND_CENTRE),
        (EventKind.URGE, Audience.DEPARTMENT),
        (EventKind.SUPERVISE, Audience.TARGET),
        (EventKind.ORDER_BREACH, Audience.TARGET),
        (EventKind.ORDER_BREACH, Audience.SUPERVISOR),
        (EventKind.ORDER_ESCALATE, Audience.LEVEL_SUPERVISOR),
        (EventKind.REDATE, Audience.TARGET),
    ]
]

# How a failing delivery is retried: after 10 s, doubling to at most 5 min a try, 30 tries
# (about 2 h 20 min): a channel down for an hour loses nothing.
FIRST_RETRY_SECONDS = 10.0
MAX_RETRY_SECONDS = 300.0
MAX_ATTEMPTS = 30


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try."""
    delay: float = FIRST_RETRY_SECONDS * 2.0 ** max(attempts - 1, 0)
    return min(delay, MAX_RETRY_SECONDS)


# The relay's activity (workflows/notices.py, activities/notice_delivery.py).
DELIVER_DUE = "deliver_due"


def relay_workflow_id(task_queue: str) -> str:
    """One relay per task queue: a worker on another queue (a renamed one, a test's) runs its
    own, never signals one whose workers are gone."""
    return f"notification-relay-{task_queue}"


RELAY_WAKE = "wake"


class DeliverDueInput(BaseModel):
    batch: int = 200


class DeliverDueResult(BaseModel):
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    more: bool = False  # the batch was full: call again at once
    next_due_at: datetime | None = None  # the earliest pending delivery's next try
