"""A ticket's clock reaches people (time-skipping server, the real worker): its warnings land in
the department's notification centre, its breach there and with the supervisor over its place,
and a webhook subscribed to breaches gets the breach once, signed, with the ticket's link."""

from datetime import UTC, datetime

from sqlmodel import col, select

from domain.notices import DeliveryStatus, EventKind, event_id
from domain.states import DeadlineStage
from readmodel.db import Database
from readmodel.notices.secrets import encrypt
from readmodel.notices.tables import (
    NotificationChannel,
    NotificationDelivery,
    NotificationSubscription,
)
from readmodel.tickets.tables import Notification
from settings import Settings
from tests.relay_receiver import receiving
from tests.workflow_helpers import (
    CLAIM_ONLY,
    deadline,
    routed,
    sleep_until,
    snapshot,
    ticket_running,
)

BACKENDS = ["sqlite"]
SECRET = "ticket-webhook-secret-0123456789"


async def in_app(db: Database, ticket_id: str) -> list[tuple[str, str]]:
    """(event kind, recipient) of the ticket's in-app deliveries, in the order written."""
    async with db.session() as session:
        found = await session.exec(
            select(Notification.kind, NotificationDelivery)
            .join(Notification, col(Notification.event_id) == col(NotificationDelivery.event_id))
            .where(Notification.ticket_id == ticket_id)
            .where(NotificationDelivery.channel_id == "in-app")
            .order_by(col(NotificationDelivery.id))
        )
        rows = found.all()
    assert all(d.status == DeliveryStatus.SENT for _, d in rows)
    return [(kind, d.recipient_id) for kind, d in rows]


async def test_warnings_and_the_breach_reach_the_department_and_its_supervisor(ts_env, db) -> None:
    key = Settings().secrets_key
    assert key is not None
    async with receiving() as receiver:
        async with db.session() as session:
            now = datetime.now(UTC)
            session.add(
                NotificationChannel(
                    channel_id="cgj-hook",
                    kind="webhook",
                    name="城管局 system",
                    url=receiver.url,
                    secret_ciphertext=encrypt(key.get_secret_value(), SECRET),
                    created_at=now,
                )
            )
            session.add(
                NotificationSubscription(
                    kind=EventKind.BREACH,
                    audience="target",
                    channel_id="cgj-hook",
                    scope="cgj",
                    created_at=now,
                )
            )
            await session.commit()
        async with ticket_running(ts_env, db, policy=CLAIM_ONLY) as handle:
            await routed(handle)
            claim = deadline(await snapshot(handle), DeadlineStage.CLAIM)
            await sleep_until(ts_env, claim.due_at)
            t = await snapshot(handle)
        got = await in_app(db, t.ticket_id)
        assert got[:2] == [("warning", "zhao"), ("warning", "zhao")]
        assert sorted(got[2:4]) == [("breach", "wu"), ("breach", "zhao")]
        async with db.session() as session:
            breach = (
                await session.exec(
                    select(Notification)
                    .where(Notification.ticket_id == t.ticket_id)
                    .where(Notification.kind == "breach")
                )
            ).one()
        # The id a retry or a replay makes again: the ticket, its timeline's seq, kind, target.
        breach_id = event_id(t.ticket_id, breach.seq, "breach", "cgj")
        assert breach.event_id == breach_id
        assert receiver.event_ids() == [breach_id]  # warnings were not subscribed
        receiver.check_signatures(SECRET)
        [body] = receiver.bodies()
        assert body["kind"] == "breach" and body["ticket_id"] == t.ticket_id
        assert body["stage"] == "claim" and body["link"].endswith(f"/tickets/{t.ticket_id}")
        assert "超期" in body["title"]
