"""WeCom (企业微信) group robot: the message as markdown, posted to the robot's webhook.

Channel: url = the webhook endpoint without its key (default WEBHOOK below; an on-prem proxy's
address works too), secret = the robot's key (sent as ?key=<key>, stored encrypted, never in the
url). Wire: POST {"msgtype": "markdown", "markdown": {"content": <at most 4096 bytes>}}; the
robot answers {"errcode": 0, "errmsg": "ok"}. Written by hand rather than with Apprise, whose
wecombot:// plugin has qyapi.weixin.qq.com built in (no proxy, no test receiver).
"""

import httpx

from activities.channels.base import ChannelTarget, DeliveryFailed, Message, Recipient
from activities.channels.posting import JSON, check_errcode, clip_bytes, endpoint, json_body, post

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
CONTENT_BYTES = 4096  # WeCom refuses longer markdown content
ERRCODES = {
    93000: ("invalid webhook url or key: the robot was removed or the key is wrong", True),
    40008: ("invalid message type", True),
    40058: ("invalid parameter", True),
    44004: ("empty content", True),
    45009: ("rate limit: 20 messages a minute per robot", False),
    -1: ("WeCom is busy", False),
}


async def send(
    channel: ChannelTarget, message: Message, to: Recipient | None, http: httpx.AsyncClient
) -> None:
    if not channel.secret:
        raise DeliveryFailed("the WeCom channel has no robot key (its secret)", permanent=True)
    url = endpoint(channel.url or WEBHOOK, {"key": channel.secret})
    content = clip_bytes(message.markdown or message.text, CONTENT_BYTES)
    body = json_body({"msgtype": "markdown", "markdown": {"content": content}})
    response = await post(http, url, body, JSON)
    check_errcode(response, "WeCom", ERRCODES)
