"""Each push channel's sender against a real receiver on localhost (tests/notify_receivers.py)
that checks the wire shape, key, token and signature as the real service does; and how each
failure reads: permanent or worth another try, never naming a phone number, address or key."""

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from httpx import AsyncClient as Client

from activities.channels import dingtalk, email, sms, webhook, wecom
from activities.channels.base import Attachment, ChannelTarget, DeliveryFailed, Message, Recipient
from activities.channels.registry import Sender
from domain.notice_text import render
from domain.notices import EventKind, NoticeEvent, event_id
from tests.notify_receivers import (
    WebhookLedger,
    dingtalk_robot,
    free_port,
    serving,
    sms_gateway,
    smtp_server,
    wecom_robot,
)

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
TOKEN = "4e9a5c0f2b7d4b1e8c3a6f0d9e2b7c4a1f8e5d2c9b6a3f0e7d4c1b8a5f2e9d6c"
SIGN_SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
PHONE = "13912345678"
ADDRESS = "wang.wei@grid.example.cn"
# The mail receiver takes a login without TLS: it is localhost, and TLS would need a certificate.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

WANG = Recipient("u-wang", "王伟", email=ADDRESS, phone=PHONE)


def notice(*summary: str, urgent: bool = False) -> Message:
    event = NoticeEvent(
        event_id=event_id("daily_report", "2026-03-02"),
        kind=EventKind.DAILY_REPORT,
        urgent=urgent,
        data={"summary": list(summary) or ["今日销号 12 件", "超期 3 件"]},
        created_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )
    text = render(event, None)
    return Message(
        event_id=event.event_id,
        kind=event.kind.value,
        title=text.title,
        text=text.text,
        markdown=text.markdown,
        html=text.html,
        payload={"data": event.data},
        created_at=event.created_at.isoformat(),
    )


@pytest.fixture
async def http() -> AsyncIterator[Client]:
    async with Client(timeout=5.0) as client:
        yield client


async def failure(
    send: Sender, channel: ChannelTarget, message: Message, to: Recipient | None, http: Client
) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as failed:
        await send(channel, message, to, http)
    return failed.value


# WeCom


def wecom_channel(url: str, key: str | None = KEY) -> ChannelTarget:
    return ChannelTarget("wecom-grid", "wecom", url=f"{url}/cgi-bin/webhook/send", secret=key)


async def test_wecom_robot_takes_the_markdown_with_its_key(http: Client) -> None:
    with serving(wecom_robot(KEY)) as robot:
        await wecom.send(wecom_channel(robot.url), notice(), None, http)
    [request] = robot.requests
    assert request.query == {"key": KEY}
    content = request.json()["markdown"]["content"]
    assert content.startswith("### 每日销号通报") and "> 今日销号 12 件" in content


async def test_wecom_content_is_cut_to_4096_bytes_on_a_character(http: Client) -> None:
    long = notice(*[f"第 {i} 条：城市管理网格巡查发现问题已处置完毕" for i in range(300)])
    with serving(wecom_robot(KEY)) as robot:
        await wecom.send(wecom_channel(robot.url), long, None, http)
    content = robot.requests[0].json()["markdown"]["content"]  # strict UTF-8: no cut character
    assert 4090 < len(content.encode()) <= 4096 and content.endswith("…")


async def test_wecom_failures_read_as_the_robot_means_them(http: Client) -> None:
    with serving(wecom_robot(KEY)) as robot:
        wrong_key = await failure(
            wecom.send, wecom_channel(robot.url, "not-the-key"), notice(), None, http
        )
        robot.fail_next(1, 200, {"errcode": 45009, "errmsg": "api freq out of limit"})
        busy = await failure(wecom.send, wecom_channel(robot.url), notice(), None, http)
        robot.fail_next(1, 502, b"<html>bad gateway</html>")
        down = await failure(wecom.send, wecom_channel(robot.url), notice(), None, http)
        await wecom.send(wecom_channel(robot.url), notice(), None, http)  # and then it takes it
    assert wrong_key.permanent and "93000" in wrong_key.reason
    assert not busy.permanent and "45009" in busy.reason
    assert not down.permanent and "502" in down.reason
    for f in (wrong_key, busy, down):
        assert KEY not in f.reason and "not-the-key" not in f.reason


async def test_wecom_key_belongs_in_the_secret_not_the_url(http: Client) -> None:
    with serving(wecom_robot(KEY)) as robot:
        in_url = ChannelTarget("w", "wecom", url=f"{robot.url}/cgi-bin/webhook/send?key={KEY}")
        no_key = await failure(wecom.send, in_url, notice(), None, http)
        in_both = ChannelTarget("w", "wecom", url=in_url.url, secret=KEY)
        both = await failure(wecom.send, in_both, notice(), None, http)
    assert robot.requests == []
    assert no_key.permanent and both.permanent and KEY not in no_key.reason + both.reason


# DingTalk


def dingtalk_channel(url: str, secret: str) -> ChannelTarget:
    return ChannelTarget("ding-grid", "dingtalk", url=f"{url}/robot/send", secret=secret)


async def test_dingtalk_signed_robot_verifies_the_sign(http: Client) -> None:
    with serving(dingtalk_robot(TOKEN, SIGN_SECRET)) as robot:
        before = int(time.time() * 1000)
        await dingtalk.send(
            dingtalk_channel(robot.url, f"{TOKEN}:{SIGN_SECRET}"), notice(), None, http
        )
        wrong = await failure(
            dingtalk.send, dingtalk_channel(robot.url, f"{TOKEN}:SECwrong"), notice(), None, http
        )
        unsigned = await failure(
            dingtalk.send, dingtalk_channel(robot.url, TOKEN), notice(), None, http
        )
    signed = robot.requests[0]
    assert before <= int(signed.query["timestamp"]) <= time.time() * 1000
    assert f"sign={quote(signed.query['sign'], safe='')}" in signed.raw_query  # url-encoded once
    assert signed.json()["markdown"]["title"] == "每日销号通报"
    assert wrong.permanent and unsigned.permanent and "310000" in wrong.reason
    assert SIGN_SECRET not in wrong.reason and TOKEN not in wrong.reason + unsigned.reason


async def test_dingtalk_unsigned_robot_and_its_retryable_codes(http: Client) -> None:
    with serving(dingtalk_robot(TOKEN, None)) as robot:
        robot.fail_next(1, 200, {"errcode": 130101, "errmsg": "send too fast"})
        fast = await failure(
            dingtalk.send, dingtalk_channel(robot.url, TOKEN), notice(), None, http
        )
        proxy = ChannelTarget("d", "dingtalk", url=f"{robot.url}/robot/send?via=gz", secret=TOKEN)
        await dingtalk.send(proxy, notice(urgent=True), None, http)  # an on-prem proxy's url
        gone = await failure(
            dingtalk.send, dingtalk_channel(robot.url, "other"), notice(), None, http
        )
        no_token = await failure(
            dingtalk.send, dingtalk_channel(robot.url, ""), notice(), None, http
        )
    assert not fast.permanent and "130101" in fast.reason
    assert robot.requests[1].query == {"via": "gz", "access_token": TOKEN}  # unsigned
    assert robot.requests[1].json()["markdown"]["title"] == "【紧急】每日销号通报"
    assert gone.permanent and no_token.permanent and len(robot.requests) == 3


async def test_a_robot_that_cannot_be_reached_is_tried_again(http: Client) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    failed = await failure(dingtalk.send, dingtalk_channel(closed, TOKEN), notice(), None, http)
    assert not failed.permanent and "could not be reached" in failed.reason
    assert TOKEN not in failed.reason


# Webhook


async def test_webhook_is_verified_and_deduplicated_by_its_receiver(
    http: Client,
) -> None:
    ledger = WebhookLedger(secret="whsec-1")
    with serving(ledger.judge) as receiver:
        channel = ChannelTarget("hook", "webhook", url=f"{receiver.url}/hooks", secret="whsec-1")
        receiver.fail_next(1, 503, {"error": "busy"})
        busy = await failure(webhook.send, channel, notice(), None, http)
        await webhook.send(channel, notice(), None, http)
        await webhook.send(channel, notice(), None, http)  # a retry after a lost answer
        forged = await failure(webhook.send, replace(channel, secret="guess"), notice(), None, http)
        ledger.clock_skew = 600  # the receiver's clock ten minutes on: the signature is stale
        stale = await failure(webhook.send, channel, notice(), None, http)
    assert not busy.permanent and "503" in busy.reason
    assert ledger.events == [notice().event_id]  # two accepted tries, one event acted on
    ids = {r.headers["x-gridflow-event-id"] for r in receiver.requests}
    assert ids == {notice().event_id}
    assert forged.permanent and stale.permanent and "401" in stale.reason


# E-mail


def mail_channel(port: int, *, password: str | None = None, **settings: object) -> ChannelTarget:
    settings = {"from": "网格化管理平台 <noreply@grid.example.cn>", **settings}
    return ChannelTarget("mail", "email", f"smtp://127.0.0.1:{port}", password, settings)


async def test_email_carries_text_html_and_the_report_csv(http: Client) -> None:
    csv = "工单,状态\r\nT-1,已销号\r\n".encode("utf-8-sig")
    report = Attachment("销号通报-2026-03-02.csv", "text/csv", csv)
    message = replace(notice(), attachments=(report,))
    with smtp_server(login=("grid-mailer", "pw-1")) as (mailbox, port):
        channel = mail_channel(port, username="grid-mailer", password="pw-1", starttls=False)
        await email.send(channel, message, WANG, http)
        bad_login = await failure(
            email.send,
            mail_channel(port, username="grid-mailer", password="nope"),
            message,
            WANG,
            http,
        )
    [(sender, rcpt, mail)] = mailbox.mails
    assert sender == "noreply@grid.example.cn" and rcpt == [ADDRESS]
    assert mail["Subject"] == "每日销号通报" and mail["To"].addresses[0].display_name == "王伟"
    assert mail["Message-ID"] == f"<{message.event_id}@grid.example.cn>"
    assert mail["X-Gridflow-Event-Id"] == message.event_id
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and "今日销号 12 件" in text.get_content()
    assert html is not None and "<p>今日销号 12 件</p>" in html.get_content()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "销号通报-2026-03-02.csv"
    assert (
        attachment.get_content_type() == "text/csv" and attachment.get_payload(decode=True) == csv
    )
    assert bad_login.permanent and "535" in bad_login.reason


async def test_email_failures_never_name_the_address(http: Client) -> None:
    with smtp_server() as (mailbox, port):
        mailbox.rcpt_answer = f"550 5.1.1 <{ADDRESS}>: Recipient address rejected: User unknown"
        unknown = await failure(email.send, mail_channel(port), notice(), WANG, http)
        mailbox.rcpt_answer = f"450 4.2.0 <{ADDRESS}>: Recipient address rejected: Greylisted"
        greylisted = await failure(email.send, mail_channel(port), notice(), WANG, http)
        mailbox.rcpt_answer = None
        tls = await failure(email.send, mail_channel(port, starttls=True), notice(), WANG, http)
    nobody = Recipient("u-li", "李娜")
    no_address = await failure(email.send, mail_channel(port), notice(), nobody, http)
    down = await failure(email.send, mail_channel(port), notice(), WANG, http)
    assert unknown.permanent and "550" in unknown.reason
    assert not greylisted.permanent and "450" in greylisted.reason
    assert tls.permanent  # STARTTLS required, the server offers none: a configuration to fix
    assert no_address.permanent and no_address.reason == "the recipient has no e-mail address"
    assert not down.permanent and mailbox.mails == []
    for f in (unknown, greylisted, tls, no_address, down):
        assert ADDRESS not in str(f) and "wang.wei" not in f.reason and f.__cause__ is None


# SMS


def sms_channel(url: str, token: str = "gw-token") -> ChannelTarget:
    settings = {"template": "SMS_2718281", "sign_name": "网格化管理"}
    return ChannelTarget("sms", "sms", url=f"{url}/sms/send", secret=token, settings=settings)


async def test_sms_gateway_takes_the_documented_shape(http: Client) -> None:
    with serving(sms_gateway("gw-token")) as gateway:
        await sms.send(sms_channel(gateway.url), notice(urgent=True), WANG, http)
    body = gateway.requests[0].json()
    assert body == {
        "phone": PHONE,
        "template": "SMS_2718281",
        "sign_name": "网格化管理",
        "params": {"title": "[紧急]每日销号通报", "text": "今日销号 12 件；超期 3 件"},
        "out_id": notice().event_id,
    }


async def test_sms_failures_never_name_the_phone(http: Client) -> None:
    long = notice(*["网格员巡查发现暴露垃圾已处置"] * 10)
    with serving(sms_gateway("gw-token")) as gateway:
        await sms.send(sms_channel(gateway.url), long, WANG, http)  # one 70-character segment
        gateway.fail_next(1, 400, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": PHONE})
        illegal = await failure(sms.send, sms_channel(gateway.url), notice(), WANG, http)
        gateway.fail_next(1, 200, {"code": "isv.BUSINESS_LIMIT_CONTROL", "message": PHONE})
        limited = await failure(sms.send, sms_channel(gateway.url), notice(), WANG, http)
        gateway.fail_next(1, 200, {"code": f"FAIL_{PHONE}"})
        odd = await failure(sms.send, sms_channel(gateway.url), notice(), WANG, http)
        gateway.fail_next(1, 429, {"code": "Throttled"})
        throttled = await failure(sms.send, sms_channel(gateway.url), notice(), WANG, http)
        refused = await failure(sms.send, sms_channel(gateway.url, "wrong"), notice(), WANG, http)
    no_phone = await failure(
        sms.send, sms_channel(gateway.url), notice(), Recipient("u", "李娜"), http
    )
    assert len(gateway.requests[0].json()["params"]["text"]) == 70
    assert illegal.permanent and refused.permanent and no_phone.permanent
    assert not limited.permanent and "isv.BUSINESS_LIMIT_CONTROL" in limited.reason
    assert not odd.permanent and not throttled.permanent
    for f in (illegal, limited, odd, throttled, refused, no_phone):
        assert PHONE not in str(f) and "912345" not in f.reason
