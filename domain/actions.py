"""One input model per human action on a ticket (the payload of a workflow update)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.models import Actor
from domain.redating import RedatedDeadline
from domain.states import Action, CancelKind, FindingOutcome, Severity


class ActionInput(BaseModel):
    actor: Actor
    note: str | None = None
    photo_ids: list[str] = Field(default_factory=list)  # photos: rectified, write-off, reject

    action: Action  # overridden by each subclass with a fixed default


class DispatchInput(ActionInput):
    action: Action = Action.DISPATCH
    department: str


class ClaimInput(ActionInput):
    action: Action = Action.CLAIM


class ReturnInput(ActionInput):
    action: Action = Action.RETURN
    reason: str


class StartVerificationInput(ActionInput):
    action: Action = Action.START_VERIFICATION


class VerifyInput(ActionInput):
    action: Action = Action.VERIFY
    outcome: FindingOutcome
    severity: Severity | None = None
    rectify_due_at: datetime | None = None
    rectify_working_days: int | None = Field(default=None, ge=1, le=250)


class RectifiedInput(ActionInput):
    action: Action = Action.RECTIFIED


class WriteOffInput(ActionInput):
    action: Action = Action.WRITE_OFF


class RejectInput(ActionInput):
    action: Action = Action.REJECT
    reason: str
    rework_working_days: int | None = Field(default=None, ge=1, le=250)


class CancelInput(ActionInput):
    action: Action = Action.CANCEL
    kind: CancelKind
    reason: str
    duplicate_of: str | None = None


class RequestExtensionInput(ActionInput):
    action: Action = Action.REQUEST_EXTENSION
    working_days: int = Field(ge=1, le=60)
    reason: str


class ExtensionDecisionInput(ActionInput):
    action: Literal[Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION]
    reason: str | None = None


class RequestParkingInput(ActionInput):
    action: Action = Action.REQUEST_PARKING
    reason: str
    review_at: datetime


class ParkingDecisionInput(ActionInput):
    action: Literal[Action.APPROVE_PARKING, Action.REFUSE_PARKING]
    reason: str | None = None


class UnparkInput(ActionInput):
    action: Action = Action.UNPARK


class MergeInput(ActionInput):
    action: Action = Action.MERGE
    into: str  # the surviving ticket


class KeepSeparateInput(ActionInput):
    action: Action = Action.KEEP_SEPARATE


class UrgeInput(ActionInput):
    """催办: a supervisor presses the ticket's department, in their own words."""

    action: Action = Action.URGE
    message: str


class RedateInput(ActionInput):
    """A changed working calendar moves the ticket's running deadlines (domain/redating.py): a
    year's official notice replacing its provisional dating, or a correction. Sent by the system
    on behalf of the admin who loaded the notice; changes computed for another state of the
    ticket are skipped, not forced."""

    action: Action = Action.REDATE
    year: int
    source: str
    loaded_by: str  # the admin's user id
    changes: list[RedatedDeadline]
