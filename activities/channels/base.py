"""What every channel's sender takes and how it fails.

A sender is `async def send(channel: ChannelTarget, message: Message, to: Recipient | None,
http: httpx.AsyncClient) -> None`. It returns once the receiver has accepted the message and
raises DeliveryFailed otherwise; `permanent=True` means retrying cannot help (a refused
configuration), so the delivery fails at once. Senders never log a recipient's address or phone.
"""

from dataclasses import dataclass, field
from typing import Any


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class ChannelTarget:
    """A channel as a sender needs it: its URL or host and its secret, decrypted."""

    channel_id: str
    kind: str  # domain.notices.ChannelKind
    url: str | None = None  # webhook / robot / SMS gateway endpoint; smtp://host:port for e-mail
    secret: str | None = None  # HMAC key, robot key or sign secret, SMTP or gateway password
    settings: dict[str, Any] = field(default_factory=dict)  # e.g. from address, SMS template


@dataclass(frozen=True)
class Recipient:
    """A person on a personal channel (e-mail, SMS): personal data, never logged."""

    user_id: str
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Message:
    event_id: str  # the receiver's de-duplication key
    kind: str
    title: str
    text: str  # plain text (SMS, e-mail's text part)
    markdown: str  # robots
    html: str | None = None  # e-mail
    payload: dict[str, Any] = field(default_factory=dict)  # the webhook's JSON body fields
    attachments: tuple[Attachment, ...] = ()
    created_at: str = ""  # ISO 8601
