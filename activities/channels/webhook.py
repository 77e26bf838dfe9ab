"""Signed webhook: the event as JSON, with headers a receiver verifies and de-duplicates by.

X-Gridflow-Event-Id: <event id>          the same on every retry of the same event
X-Gridflow-Timestamp: <unix seconds>     when this try was signed
X-Gridflow-Signature: sha256=<hex>       HMAC-SHA256(secret, "<timestamp>.<body>")
"""

import hashlib
import hmac
import time

import httpx

from activities.channels.base import ChannelTarget, DeliveryFailed, Message, Recipient
from activities.channels.posting import JSON, json_body, post


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


async def send(
    channel: ChannelTarget, message: Message, to: Recipient | None, http: httpx.AsyncClient
) -> None:
    if not channel.url:
        raise DeliveryFailed("the webhook channel has no url", permanent=True)
    body = json_body(
        {
            "event_id": message.event_id,
            "kind": message.kind,
            "title": message.title,
            "text": message.text,
            "created_at": message.created_at,
            **message.payload,
        }
    )
    timestamp = str(int(time.time()))
    headers = JSON | {"X-Gridflow-Event-Id": message.event_id, "X-Gridflow-Timestamp": timestamp}
    if channel.secret:
        headers["X-Gridflow-Signature"] = signature(channel.secret, timestamp, body)
    await post(http, channel.url, body, headers)
