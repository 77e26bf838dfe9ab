"""Signed webhook: the event as JSON, with headers a receiver verifies and de-duplicates by.

X-Gridflow-Event-Id: <event id>          the same on every retry of the same event
X-Gridflow-Timestamp: <unix seconds>     when this try was signed
X-Gridflow-Signature: sha256=<hex>       HMAC-SHA256(secret, "<timestamp>.<body>")
"""

import hashlib
import hmac
import json
import time

import httpx

from activities.channels.base import ChannelTarget, DeliveryFailed, Message, Recipient


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


async def send(
    channel: ChannelTarget, message: Message, to: Recipient | None, http: httpx.AsyncClient
) -> None:
    if not channel.url:
        raise DeliveryFailed("the webhook channel has no url", permanent=True)
    body = json.dumps(
        {
            "event_id": message.event_id,
            "kind": message.kind,
            "title": message.title,
            "text": message.text,
            "created_at": message.created_at,
            **message.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Gridflow-Event-Id": message.event_id,
        "X-Gridflow-Timestamp": timestamp,
    }
    if channel.secret:
        headers["X-Gridflow-Signature"] = signature(channel.secret, timestamp, body)
    try:
        response = await http.post(channel.url, content=body, headers=headers)
    except httpx.HTTPError as err:
        raise DeliveryFailed(f"{type(err).__name__}: the receiver could not be reached") from None
    if response.status_code >= 300:
        # 4xx other than 408/429 will not change by retrying; the rest may.
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise DeliveryFailed(f"the receiver answered {response.status_code}", permanent=permanent)
