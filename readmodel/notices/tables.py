"""Notification channels, subscriptions and deliveries (docs/notifications.md). The events are
the `notification` outbox (readmodel/tickets/tables.py); each delivery is one event on one
channel to one person (personal channels) or one group (robots, webhooks)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class NotificationChannel(SQLModel, table=True):
    __tablename__ = "notification_channel"
    channel_id: str = Field(primary_key=True)  # a slug: in-app, cgj-wecom, centre-mail
    kind: str  # domain.notices.ChannelKind
    name: str
    url: str | None = None  # endpoint; smtp://host:port for e-mail; None for in-app
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The channel's secret encrypted with GRIDFLOW_SECRETS_KEY (readmodel/notices/secrets.py), or
    # the name of an environment variable holding it: never returned by the API.
    secret_ciphertext: str | None = None
    secret_env: str | None = None
    active: bool = True
    created_at: datetime


class NotificationSubscription(SQLModel, table=True):
    """Who hears what: events of `kind` go to `audience` over `channel_id`; `scope` (a
    department code or an area code) narrows it to tickets of that department or place."""

    __tablename__ = "notification_subscription"
    __table_args__ = (
        UniqueConstraint("kind", "audience", "channel_id", "scope", name="uq_subscription"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # domain.notices.EventKind
    audience: str  # domain.notices.Audience (group channels: whom the group stands for)
    channel_id: str = Field(index=True)
    scope: str | None = None
    active: bool = True
    created_at: datetime


class NotificationDelivery(SQLModel, table=True):
    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "channel_id", "recipient_id", name="uq_delivery"),
    )
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(index=True)
    channel_id: str
    recipient_id: str = Field(default="", index=True)  # a user id; "" for a group channel
    status: str = Field(index=True)  # domain.notices.DeliveryStatus
    attempts: int = 0
    not_before: datetime  # working hours: a non-urgent notice waits for the next working moment
    next_attempt_at: datetime | None = Field(default=None, index=True)  # None once settled
    last_error: str | None = None
    sent_at: datetime | None = None
    read_at: datetime | None = None  # in-app: when its reader marked it read
    created_at: datetime
