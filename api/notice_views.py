"""What the API shows of notices: where one leads its reader, and a delivery's status as admins
and supervisors read it (a recipient by user id only, never an address or a phone)."""

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from api.paging import Page
from domain.states import Role
from readmodel.notices import deliveries
from readmodel.notices.tables import NotificationDelivery
from readmodel.tickets.tables import Notification

# A channel's id: a slug (in-app, cgj-wecom, centre-mail).
SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
TICKET_PAGES = {
    Role.GRID_WORKER: "/app/worker/ticket?id={}",
    Role.DEPARTMENT_STAFF: "/app/department/tickets/{}",
    Role.SUPERVISOR: "/app/supervisor/tickets/{}",
}


def link_for(role: str, event: Notification, public_url: str) -> str | None:
    """The ticket's page for the reader's role, else the page the event names (a report's)."""
    if event.ticket_id and role in TICKET_PAGES:
        return TICKET_PAGES[Role(role)].format(quote(event.ticket_id, safe=""))
    given = event.data.get("link")
    if not isinstance(given, str):
        return None
    # Only a path of this site: never another site's address or a javascript: URL.
    local = given.removeprefix(public_url.rstrip("/"))
    return local if local.startswith("/") and not local.startswith("//") else None


class DeliveryPublic(BaseModel):
    id: int
    event_id: str
    kind: str | None = Field(description="the event's kind")
    ticket_id: str | None
    channel_id: str
    recipient_id: str | None = Field(description="a user id; null for a group channel")
    status: str = Field(description="pending, sent or failed (the retry budget spent)")
    attempts: int
    last_error: str | None
    not_before: datetime = Field(description="working hours: not pushed before this")
    next_attempt_at: datetime | None = Field(description="the next try (pending only)")
    sent_at: datetime | None
    read_at: datetime | None = Field(description="in-app: when its reader marked it read")
    created_at: datetime


class DeliveryPage(Page[DeliveryPublic]):
    pass


def delivery_public(d: NotificationDelivery, event: Notification | None) -> DeliveryPublic:
    assert d.id is not None  # a row read back from the database
    return DeliveryPublic(
        id=d.id,
        event_id=d.event_id,
        kind=event.kind if event else None,
        ticket_id=event.ticket_id if event else None,
        channel_id=d.channel_id,
        recipient_id=d.recipient_id or None,
        status=d.status,
        attempts=d.attempts,
        last_error=d.last_error,
        not_before=d.not_before,
        next_attempt_at=d.next_attempt_at,
        sent_at=d.sent_at,
        read_at=d.read_at,
        created_at=d.created_at,
    )


async def deliveries_public(
    session: AsyncSession, rows: Sequence[NotificationDelivery]
) -> list[DeliveryPublic]:
    found = await deliveries.events(session=session, event_ids={d.event_id for d in rows})
    return [delivery_public(d, found.get(d.event_id)) for d in rows]
