"""The relay's activity: push every delivery that is due through its channel, and record how
each try ended (sent, another try later, or failed once the budget is spent)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities import metrics
from activities.channels.base import ChannelTarget, DeliveryFailed, Message, Recipient
from activities.channels.registry import sender
from activities.notice_messages import attachments_for
from domain.notice_text import TicketFacts, render
from domain.notices import (
    DELIVER_DUE,
    DeliverDueInput,
    DeliverDueResult,
    DeliveryStatus,
    EventKind,
    NoticeEvent,
    target_kind,
)
from readmodel.db import Database
from readmodel.notices import deliveries
from readmodel.notices.secrets import SecretUnavailable, reveal
from readmodel.notices.tables import NotificationChannel
from readmodel.reference.tables import Category
from readmodel.tickets.tables import Notification, TicketRow
from settings import Settings

log = structlog.get_logger("gridflow.delivery")
PARALLEL = 16  # tries at once: receivers are slow, not busy


def event_of(row: Notification) -> NoticeEvent:
    return NoticeEvent(
        event_id=row.event_id,
        kind=EventKind(row.kind),
        target=row.target or None,
        ticket_id=row.ticket_id,
        seq=row.seq,
        urgent=row.urgent,
        department=row.department,
        grid=row.grid,
        level=row.level,
        stage=row.stage,
        due_at=row.due_at,
        data=row.data,
        created_at=row.created_at,
    )


async def _facts(session: AsyncSession, ticket_ids: set[str]) -> dict[str, TicketFacts]:
    if not ticket_ids:
        return {}
    rows = await session.exec(
        select(TicketRow, Category.name_zh)
        .join(Category, col(Category.code) == col(TicketRow.category), isouter=True)
        .where(col(TicketRow.ticket_id).in_(ticket_ids))
    )
    return {
        t.ticket_id: TicketFacts(
            ticket_id=t.ticket_id,
            category=name or t.category,
            grid=t.grid,
            department=t.department,
            status=t.status,
        )
        for t, name in rows.all()
    }


class DeliveryActivities:
    def __init__(self, *, db: Database, config: Settings) -> None:
        self.db, self.config = db, config
        key = config.secrets_key
        self.key = key.get_secret_value() if key is not None else None

    def _target(self, channel: NotificationChannel) -> ChannelTarget:
        return ChannelTarget(
            channel_id=channel.channel_id,
            kind=channel.kind,
            url=channel.url,
            secret=reveal(channel, self.key),
            settings=dict(channel.settings),
        )

    @activity.defn(name=DELIVER_DUE)
    async def deliver_due(self, input: DeliverDueInput) -> DeliverDueResult:
        # The server's clock (time-skipping tests move it), then as much real time as passed.
        now = activity.info().current_attempt_scheduled_time
        started = time.monotonic()
        result = DeliverDueResult()
        async with self.db.session() as session:
            due = await deliveries.due(session=session, now=now, limit=input.batch)
            facts = await _facts(session, {d.event.ticket_id for d in due if d.event.ticket_id})
            messages: dict[str, Message] = {}
            for d in due:
                if d.event.event_id not in messages:
                    messages[d.event.event_id] = await self._message(session, d.event, facts)
            gate = asyncio.Semaphore(PARALLEL)
            async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:

                async def attempt(d: deliveries.Due) -> tuple[str | None, bool]:
                    async with gate:
                        try:
                            to = None
                            if d.recipient is not None:
                                u = d.recipient
                                to = Recipient(u.user_id, u.name, email=u.email, phone=u.phone)
                            await sender(d.channel.kind)(
                                self._target(d.channel), messages[d.event.event_id], to, http
                            )
                            return None, False
                        except DeliveryFailed as err:
                            return err.reason, err.permanent
                        except SecretUnavailable as err:
                            return str(err), False
                        except Exception as err:  # a sender's bug must not stall the relay
                            return f"{type(err).__name__} in the {d.channel.kind} sender", False

                outcomes = await asyncio.gather(*(attempt(d) for d in due))
                activity.heartbeat()
            done = now + timedelta(seconds=time.monotonic() - started)
            for d, (error, permanent) in zip(due, outcomes, strict=True):
                bound = log.bind(
                    event_id=d.event.event_id,
                    ticket_id=d.event.ticket_id,
                    channel=d.channel.channel_id,
                    delivery_id=d.delivery.id,
                )
                if error is None:
                    deliveries.record_sent(d.delivery, done)
                    result.sent += 1
                    metrics.NOTIFICATIONS.labels("delivered").inc()
                    bound.info("delivered", attempt=d.delivery.attempts)
                    continue
                status = deliveries.record_failure(
                    d.delivery,
                    done,
                    error,
                    permanent=permanent,
                    max_attempts=self.config.notice_max_attempts,
                )
                if status is DeliveryStatus.FAILED:
                    result.failed += 1
                    metrics.NOTIFICATIONS.labels("failed").inc()
                    bound.warning("delivery_failed", attempts=d.delivery.attempts, error=error)
                else:
                    result.retrying += 1
                    metrics.NOTIFICATIONS.labels("retrying").inc()
                    bound.info("delivery_retrying", attempts=d.delivery.attempts, error=error)
                session.add(d.delivery)
            for d in due:
                session.add(d.delivery)
            await session.commit()
            result.more = len(due) == input.batch
            result.next_due_at = await deliveries.next_due_at(session=session)
        return result

    async def _message(
        self, session: AsyncSession, row: Notification, facts: dict[str, TicketFacts]
    ) -> Message:
        event = event_of(row)
        ticket = facts.get(row.ticket_id) if row.ticket_id else None
        text = render(event, ticket)
        payload = {
            "ticket_id": row.ticket_id,
            "target": row.target or None,
            "stage": row.stage,
            "level": row.level,
            "due_at": row.due_at.isoformat() if row.due_at else None,
            "urgent": row.urgent,
            "department": row.department,
            "grid": row.grid,
            "data": row.data,
        }
        if row.ticket_id:
            desk = "department" if target_kind(row.target) == "department" else "supervisor"
            payload["link"] = f"{self.config.public_url}/app/{desk}/tickets/{row.ticket_id}"
        return Message(
            event_id=row.event_id,
            kind=row.kind,
            title=text.title,
            text=text.text,
            markdown=text.markdown,
            html=text.html,
            payload=payload,
            attachments=tuple(await attachments_for(session, event)),
            created_at=row.created_at.isoformat(),
        )

    def all(self) -> list[Callable[..., Awaitable[object]]]:
        return [self.deliver_due]
