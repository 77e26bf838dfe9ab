"""SMS through an HTTP gateway (one provider shape; an adapter in front of any SMS service).

Channel: url = the gateway's endpoint, secret = its API token (Authorization: Bearer <token>),
settings "template" (required: the approved template's id) and "sign_name" (the 签名).
Wire: POST {"phone", "template", "sign_name", "params": {"title", "text"}, "out_id": <event id>};
the gateway answers 2xx {"code": "OK"} once it accepted the message. params.text is the notice's
lines joined, at most TEXT_CHARS characters (one 70-character segment), without 【】 (carriers
keep those for the signature). The phone number goes to the gateway and nowhere else: no reason
names it, and the gateway's answer is reduced to its code.
"""

import re

import httpx

from activities.channels.base import ChannelTarget, DeliveryFailed, Message, Recipient
from activities.channels.posting import JSON, answer_of, clip_chars, json_body, post

TEXT_CHARS = 70
CODE = re.compile(r"[A-Za-z_.\-]{1,64}")  # a gateway's code as words; digits could be a number


def _plain(text: str) -> str:
    return text.replace("【", "[").replace("】", "]")


def sms_text(message: Message) -> str:
    lines = message.text.splitlines()
    if lines and lines[0] == f"【{message.title}】":
        lines = lines[1:]  # the title goes in params.title
    text = "；".join(line.strip() for line in lines if line.strip())
    return clip_chars(_plain(text), TEXT_CHARS)


async def send(
    channel: ChannelTarget, message: Message, to: Recipient | None, http: httpx.AsyncClient
) -> None:
    template = channel.settings.get("template")
    if not channel.url or not channel.secret or not template:
        raise DeliveryFailed(
            'the SMS channel needs its gateway url, its token (secret) and a "template" setting',
            permanent=True,
        )
    if to is None or not to.phone:
        raise DeliveryFailed("the recipient has no phone number", permanent=True)
    body = json_body(
        {
            "phone": to.phone,
            "template": template,
            "sign_name": channel.settings.get("sign_name"),
            "params": {"title": _plain(message.title), "text": sms_text(message)},
            "out_id": message.event_id,
        }
    )
    headers = JSON | {"Authorization": f"Bearer {channel.secret}"}
    response = await post(http, channel.url, body, headers)
    code = answer_of(response).get("code")
    if code != "OK":
        said = code if isinstance(code, str) and CODE.fullmatch(code) else "something else"
        raise DeliveryFailed(f"the SMS gateway answered code {said}")
