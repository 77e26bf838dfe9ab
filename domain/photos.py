"""Photos on tickets: their kinds, and which timeline event carries which kind (pure)."""

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.models import TicketEvent
from domain.states import Action

MAX_PHOTOS = 6  # per report or action


class PhotoKind(StrEnum):
    REPORT = "report"  # the grid worker's report
    RECTIFICATION = "rectification"  # the department's work done
    WRITE_OFF = "write_off"  # the on-site re-check (written off or rejected)


# The event a photo of each kind is recorded on (data["photo_ids"]).
ACTION_KIND = {
    Action.SUBMIT: PhotoKind.REPORT,
    Action.RECTIFIED: PhotoKind.RECTIFICATION,
    Action.WRITE_OFF: PhotoKind.WRITE_OFF,
    Action.REJECT: PhotoKind.WRITE_OFF,
}


def photo_url(photo_id: str) -> str:
    return f"/api/v1/photos/{photo_id}"


class TicketPhoto(BaseModel):
    photo_id: str
    url: str = Field(description="GET it with the same bearer token (image/jpeg)")
    seq: int = Field(description="the timeline event that recorded it")
    action: Action
    at: datetime


class TicketPhotos(BaseModel):
    report: list[TicketPhoto] = Field(default_factory=list)
    rectification: list[TicketPhoto] = Field(default_factory=list)
    write_off: list[TicketPhoto] = Field(default_factory=list)


def photos_of(events: Iterable[TicketEvent]) -> TicketPhotos:
    """The ticket's photos per kind, in timeline order, from the events that recorded them."""
    out = TicketPhotos()
    for e in sorted(events, key=lambda e: e.seq):
        kind = ACTION_KIND.get(e.action)
        ids = e.data.get("photo_ids") or []
        if kind is None or not isinstance(ids, list):
            continue
        getattr(out, kind.value).extend(
            TicketPhoto(photo_id=str(p), url=photo_url(str(p)), seq=e.seq, action=e.action, at=e.at)
            for p in ids
        )
    return out
