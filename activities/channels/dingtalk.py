"""DingTalk (钉钉) custom robot: the message as markdown, signed when the robot asks for it.

Channel: url = the robot endpoint without its token (default ROBOT below; an on-prem proxy's
address works too); secret = "<access_token>" or, for a robot with 加签 (signing) on,
"<access_token>:<sign secret>" (the SEC… string). Both are stored encrypted: the url column holds
no credential (a keyword- or IP-guarded robot takes posts on the token alone).
Wire: POST {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}} to
<url>?access_token=<token>[&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(key=sign secret,
msg="<timestamp>\n<sign secret>")>]; the robot answers {"errcode": 0, "errmsg": "ok"}.
Written by hand rather than with Apprise, whose dingtalk:// plugin has oapi.dingtalk.com built in.
"""

import base64
import hashlib
import hmac
import time

import httpx

from activities.channels.base import ChannelTarget, DeliveryFailed, Message, Recipient
from activities.channels.posting import JSON, check_errcode, clip_chars, endpoint, json_body, post

ROBOT = "https://oapi.dingtalk.com/robot/send"
TITLE_CHARS, TEXT_CHARS = 64, 5000  # DingTalk's limits on a markdown message
ERRCODES = {
    310000: ("refused by the robot's security settings: sign, keyword or IP", True),
    300001: ("the access token does not exist", True),
    400101: ("the access token does not exist", True),
    400102: ("the robot is disabled", True),
    400105: ("the message type is not supported", True),
    400106: ("the robot does not exist", True),
    400013: ("the group was dissolved", True),
    130101: ("sent too fast: 20 messages a minute per robot", False),
    410100: ("sent too fast: 20 messages a minute per robot", False),
    -1: ("DingTalk is busy", False),
}


def signature(sign_secret: str, timestamp_ms: str) -> str:
    """base64 of the HMAC; the query string's encoding url-encodes it once."""
    mac = hmac.new(sign_secret.encode(), f"{timestamp_ms}\n{sign_secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


async def send(
    channel: ChannelTarget, message: Message, to: Recipient | None, http: httpx.AsyncClient
) -> None:
    token, _, sign_secret = (channel.secret or "").partition(":")
    if not token:
        raise DeliveryFailed(
            "the DingTalk channel has no access token (its secret)", permanent=True
        )
    query = {"access_token": token}
    if sign_secret:
        timestamp = str(int(time.time() * 1000))
        query |= {"timestamp": timestamp, "sign": signature(sign_secret, timestamp)}
    url = endpoint(channel.url or ROBOT, query)
    markdown = {
        "title": clip_chars(message.title, TITLE_CHARS),
        "text": clip_chars(message.markdown or message.text, TEXT_CHARS),
    }
    response = await post(http, url, json_body({"msgtype": "markdown", "markdown": markdown}), JSON)
    check_errcode(response, "DingTalk", ERRCODES)
