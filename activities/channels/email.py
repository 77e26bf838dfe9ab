"""E-mail over SMTP (aiosmtplib): the message as text and HTML, with its attachments.

Channel: url = smtp://host[:port] (STARTTLS as settings["starttls"] says: true requires it, false
never, absent when the server offers it) or smtps://host[:port] (TLS from the first byte);
settings "from" (required, e.g. "网格化管理平台 <noreply@example.cn>") and "username"; secret =
the SMTP password (login when there is one, as "username" or else the from address).
Each mail carries Message-ID <event id@from domain> and X-Gridflow-Event-Id: a retry of the same
event is the same mail to a receiver that de-duplicates. A reason never names an address: the
server's own words (which often do) are left out, its reply code kept.
"""

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib
import httpx

from activities.channels.base import ChannelTarget, DeliveryFailed, Message, Recipient

TIMEOUT = 15.0  # seconds, per SMTP step


def _sender(channel: ChannelTarget) -> tuple[str, str]:
    """The From header and the envelope's address."""
    header = str(channel.settings.get("from") or "")
    _, address = parseaddr(header)
    if "@" not in address:
        raise DeliveryFailed('the e-mail channel has no valid "from" setting', permanent=True)
    return header, address


def compose(channel: ChannelTarget, message: Message, to: Recipient) -> EmailMessage:
    header, address = _sender(channel)
    mail = EmailMessage()
    try:
        mail["To"] = Address(display_name=" ".join(to.name.split()), addr_spec=to.email or "")
    except (ValueError, IndexError):  # what the header classes raise for an unreadable address
        raise DeliveryFailed(
            "the recipient's e-mail address is not valid", permanent=True
        ) from None
    mail["From"] = header
    mail["Subject"] = message.title
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = f"<{message.event_id}@{address.rpartition('@')[2]}>"
    mail["X-Gridflow-Event-Id"] = message.event_id
    mail.set_content(message.text)
    if message.html:
        page = f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><body>{message.html}'
        mail.add_alternative(page + "</body></html>", subtype="html")
    for a in message.attachments:
        maintype, _, subtype = a.content_type.partition("/")
        mail.add_attachment(
            a.content, maintype=maintype, subtype=subtype or "octet-stream", filename=a.filename
        )
    return mail


def _server(channel: ChannelTarget) -> dict[str, Any]:
    """aiosmtplib's connection options for the channel's url and settings."""
    parts = urlsplit(channel.url or "")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == -1:
        raise DeliveryFailed(
            "the e-mail channel's url is not smtp://host:port or smtps://host:port", permanent=True
        )
    starttls = channel.settings.get("starttls")
    implicit = parts.scheme == "smtps"
    options: dict[str, Any] = {
        "hostname": parts.hostname,
        "port": port,
        "use_tls": implicit,
        "start_tls": False if implicit else (None if starttls is None else bool(starttls)),
        "timeout": TIMEOUT,
    }
    if channel.secret:
        username = channel.settings.get("username") or _sender(channel)[1]
        options |= {"username": str(username), "password": channel.secret}
    return options


async def send(
    channel: ChannelTarget, message: Message, to: Recipient | None, http: httpx.AsyncClient
) -> None:
    if to is None or not to.email:
        raise DeliveryFailed("the recipient has no e-mail address", permanent=True)
    mail = compose(channel, message, to)
    options = _server(channel)
    try:
        await aiosmtplib.send(mail, sender=_sender(channel)[1], recipients=[to.email], **options)
    except aiosmtplib.SMTPRecipientsRefused as err:
        codes = [r.code for r in err.recipients]
        raise DeliveryFailed(
            f"the mail server refused the recipient ({', '.join(map(str, codes))})",
            permanent=bool(codes) and all(code >= 500 for code in codes),
        ) from None
    except aiosmtplib.SMTPAuthenticationError as err:
        raise DeliveryFailed(
            f"the mail server refused the login ({err.code})", permanent=err.code >= 500
        ) from None
    except aiosmtplib.SMTPResponseException as err:
        raise DeliveryFailed(
            f"the mail server answered {err.code}", permanent=err.code >= 500
        ) from None
    except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPConnectError, OSError) as err:
        # OSError covers a dropped connection (SMTPServerDisconnected) and a failed TLS handshake.
        raise DeliveryFailed(
            f"{type(err).__name__}: the mail server could not be reached"
        ) from None
    except aiosmtplib.SMTPException:
        # What is left is the server lacking what the channel asks for: STARTTLS, AUTH, SMTPUTF8.
        raise DeliveryFailed(
            "the mail server does not offer what the channel asks for (STARTTLS, login or SMTPUTF8)",
            permanent=True,
        ) from None
