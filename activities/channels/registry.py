"""Which sender each channel kind uses (activities/channels/base.py: the contract)."""

import importlib
from collections.abc import Awaitable, Callable

import httpx

from activities.channels.base import ChannelTarget, DeliveryFailed, Message, Recipient

Sender = Callable[[ChannelTarget, Message, Recipient | None, httpx.AsyncClient], Awaitable[None]]

MODULES = {
    "webhook": "activities.channels.webhook",
    "wecom": "activities.channels.wecom",
    "dingtalk": "activities.channels.dingtalk",
    "email": "activities.channels.email",
    "sms": "activities.channels.sms",
}


def sender(kind: str) -> Sender:
    name = MODULES.get(kind)
    if name is None:
        raise DeliveryFailed(f"no sender for channel kind {kind}", permanent=True)
    send: Sender = importlib.import_module(name).send
    return send
