"""Admins keep who hears what: channels whose secrets go in and never come out (encrypted at
rest), subscriptions that change whom the next notice reaches, failed deliveries listed and
retried until a real receiver has them, and people's contact fields."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import Client

from domain.notices import EventKind
from readmodel.db import Database
from readmodel.notices.secrets import reveal
from readmodel.notices.tables import NotificationChannel
from tests.api_fixtures import ADMIN, CGJ, WU, Gridflow, gf, gridflow_on  # noqa: F401
from tests.browser import wait_for
from tests.notice_helpers import failed_delivery, notice, publish, webhook
from tests.relay_receiver import receiving

SECRET = "robot-key-7f3a9c2e5b1d"


async def ok(gf: Gridflow, method: str, url: str, expect: int = 200, **kw: Any) -> Any:
    response = await gf.call(method, url, ADMIN, **kw)
    assert response.status_code == expect, (method, url, response.text)
    return response.json() if response.content else None


async def refused(gf: Gridflow, method: str, url: str, field: str, **kw: Any) -> None:
    response = await gf.call(method, url, ADMIN, **kw)
    assert response.status_code == 422, (kw, response.text)
    assert field in [f["field"] for f in response.json()["error"]["fields"]], response.text


def hook(channel_id: str = "cgj-hook", **fields: Any) -> dict[str, Any]:
    return {
        "channel_id": channel_id,
        "kind": "webhook",
        "name": "城管局 system",
        "url": "https://hooks.cgj.example.cn/gridflow",
    } | fields


async def test_a_channel_secret_goes_in_encrypted_and_never_comes_out(gf: Gridflow) -> None:
    made = await gf.call("POST", "/admin/channels", ADMIN, json=hook(secret=SECRET))
    assert made.status_code == 201, made.text
    assert made.json()["has_secret"] is True and "secret" not in made.json()
    async with gf.db.session() as session:
        row = await session.get(NotificationChannel, "cgj-hook")
        assert row is not None and row.secret_ciphertext and SECRET not in row.secret_ciphertext
        assert gf.config.secrets_key is not None
        assert reveal(row, gf.config.secrets_key.get_secret_value()) == SECRET
    listed = await gf.call("GET", "/admin/channels", ADMIN)
    renamed = await gf.call("PUT", "/admin/channels/cgj-hook", ADMIN, json={"name": "城管局"})
    for response in (made, listed, renamed):
        assert SECRET not in response.text
    assert {c["channel_id"]: c["has_secret"] for c in listed.json()["items"]} == {
        "in-app": False,
        "cgj-hook": True,
    }

    named = await ok(gf, "PUT", "/admin/channels/cgj-hook", json={"secret_env": "CGJ_HOOK_KEY"})
    assert named["has_secret"] and named["secret_env"] == "CGJ_HOOK_KEY"
    async with gf.db.session() as session:
        row = await session.get(NotificationChannel, "cgj-hook")
        assert row is not None and row.secret_ciphertext is None  # the old secret is gone
    cleared = await ok(gf, "PUT", "/admin/channels/cgj-hook", json={"secret_env": None})
    assert cleared["has_secret"] is False and cleared["secret_env"] is None


@pytest.fixture
async def keyless(
    monkeypatch: pytest.MonkeyPatch, temporal_client: Client, db: Database
) -> AsyncIterator[Gridflow]:
    monkeypatch.delenv("GRIDFLOW_SECRETS_KEY")
    async with gridflow_on(temporal_client, db) as running:
        assert running.config.secrets_key is None
        yield running


async def test_without_a_secrets_key_a_secret_is_refused_and_an_environment_name_taken(
    keyless: Gridflow,
) -> None:
    await refused(keyless, "POST", "/admin/channels", "secret", json=hook(secret=SECRET))
    made = await ok(keyless, "POST", "/admin/channels", 201, json=hook(secret_env="CGJ_HOOK"))
    assert made["has_secret"] and made["secret_env"] == "CGJ_HOOK"
    await refused(keyless, "PUT", "/admin/channels/cgj-hook", "secret", json={"secret": SECRET})


async def test_a_channel_is_checked_before_it_is_kept(gf: Gridflow) -> None:
    bad = [
        ("channel_id", hook("CGJ Hook")),
        ("kind", hook(kind="pigeon")),
        ("url", hook(url="ftp://hooks.example.cn/x")),
        ("url", hook(url="https:///no-host")),
        ("url", hook(url="https://robot:pw@hooks.example.cn/x")),
        ("url", hook(url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")),
        ("url", hook(kind="email", url="https://mail.example.cn")),
        ("url", hook(kind="in_app")),
        ("url", hook(url=None)),
        ("settings.password", hook(settings={"password": "x"})),
        ("secret", hook(secret="a", secret_env="B")),
        ("secret_env", hook(secret_env="lower-case")),
        ("name", hook(name="  ")),
    ]
    for field, body in bad:
        await refused(gf, "POST", "/admin/channels", field, json=body)
    mail = hook(
        "centre-mail",
        kind="email",
        url="smtps://smtp.example.cn:465",
        settings={"from": "网格化管理平台 <noreply@example.cn>", "username": "noreply"},
    )
    await ok(gf, "POST", "/admin/channels", 201, json=mail)
    sms = hook("sms", kind="sms", settings={"template": "SMS_1", "sign_name": "城运中心"})
    await ok(gf, "POST", "/admin/channels", 201, json=sms)
    assert (await gf.call("POST", "/admin/channels", ADMIN, json=mail)).status_code == 409

    await refused(gf, "PUT", "/admin/channels/sms", "kind", json={"kind": "email"})
    await refused(gf, "PUT", "/admin/channels/sms", "url", json={"url": None})
    await refused(gf, "PUT", "/admin/channels/sms", "active", json={"active": None})
    for method in ("PUT", "DELETE"):
        missing = await gf.call(method, "/admin/channels/no-such", ADMIN, json={"name": "x"})
        assert missing.status_code == 404, missing.text
    gone = await ok(gf, "DELETE", "/admin/channels/sms")
    assert gone["active"] is False
    back = await ok(gf, "PUT", "/admin/channels/sms", json={"active": True})
    assert back["active"] is True and back["settings"]["template"] == "SMS_1"


async def test_a_subscription_decides_who_hears_the_next_notice(gf: Gridflow) -> None:
    channel_id = await webhook(gf.db, "http://127.0.0.1:9/never-called")
    body = {"kind": "warning", "audience": "target", "channel_id": channel_id, "scope": "cgj"}
    await refused(gf, "POST", "/admin/subscriptions", "channel_id", json=body | {"channel_id": "x"})
    await refused(gf, "POST", "/admin/subscriptions", "scope", json=body | {"scope": "nowhere"})
    await refused(gf, "POST", "/admin/subscriptions", "kind", json=body | {"kind": "gossip"})
    await refused(gf, "POST", "/admin/subscriptions", "audience", json=body | {"audience": "all"})
    made = await ok(gf, "POST", "/admin/subscriptions", 201, json=body)
    assert (await gf.call("POST", "/admin/subscriptions", ADMIN, json=body)).status_code == 409
    street = body | {"scope": "330106001"}  # an area code: 北山街道
    await ok(gf, "POST", "/admin/subscriptions", 201, json=street)
    listed = await ok(gf, "GET", "/admin/subscriptions", params={"channel_id": channel_id})
    assert [s["scope"] for s in listed["items"]] == ["cgj", "330106001"]
    defaults = await ok(gf, "GET", "/admin/subscriptions", params={"kind": "breach"})
    assert {(s["audience"], s["channel_id"]) for s in defaults["items"]} == {
        ("target", "in-app"),
        ("supervisor", "in-app"),
    }

    async def pushes() -> int:
        page = await ok(gf, "GET", "/admin/deliveries", params={"channel_id": channel_id})
        assert all(d["recipient_id"] is None for d in page["items"])  # the group's one delivery
        return int(page["total"])

    elsewhere = notice(EventKind.WARNING, target="zjj", department="zjj", grid="330106002001")
    await publish(gf.db, elsewhere)
    assert await pushes() == 0  # neither 城管局's nor 北山街道's
    await publish(gf.db, notice(EventKind.WARNING))
    assert await pushes() == 1  # one event, one delivery, whichever scopes match
    for s in listed["items"]:
        assert (
            await gf.call("DELETE", f"/admin/subscriptions/{s['id']}", ADMIN)
        ).status_code == 204
    await publish(gf.db, notice(EventKind.WARNING))
    assert await pushes() == 1
    again = await gf.call("DELETE", f"/admin/subscriptions/{made['id']}", ADMIN)
    assert again.status_code == 404, again.text


async def test_a_failed_delivery_is_listed_retried_and_delivered(gf: Gridflow) -> None:
    async with receiving() as receiver:
        await ok(gf, "POST", "/admin/channels", 201, json=hook(url=receiver.url, secret=SECRET))
        event = notice(EventKind.BREACH)
        failed = await failed_delivery(gf.db, "cgj-hook", event)
        [listed] = (await ok(gf, "GET", "/admin/deliveries", params={"status": "failed"}))["items"]
        assert listed["id"] == failed and listed["event_id"] == event.event_id
        assert listed["kind"] == "breach" and listed["ticket_id"] == event.ticket_id
        assert listed["attempts"] == 1 and "410" in listed["last_error"]
        assert listed["next_attempt_at"] is None and listed["sent_at"] is None

        retried = await ok(gf, "POST", f"/admin/deliveries/{failed}/retry")
        assert retried["status"] == "pending" and retried["attempts"] == 0
        assert retried["last_error"] is None and retried["relay_woken"] is True

        async def sent() -> dict[str, Any] | None:
            page = await ok(gf, "GET", "/admin/deliveries", params={"event_id": event.event_id})
            by_id = {d["id"]: d for d in page["items"]}
            return by_id[failed] if by_id[failed]["status"] == "sent" else None

        delivered = await wait_for(sent, timeout=20)
        assert delivered["attempts"] == 1 and delivered["sent_at"] is not None
        assert receiver.event_ids() == [event.event_id]
        receiver.check_signatures(SECRET)  # the secret the API encrypted, decrypted to sign

    conflict = await gf.call("POST", f"/admin/deliveries/{failed}/retry", ADMIN)
    assert conflict.status_code == 409, conflict.text
    missing = await gf.call("POST", "/admin/deliveries/999999/retry", ADMIN)
    assert missing.status_code == 404, missing.text
    await refused(gf, "GET", "/admin/deliveries", "status", params={"status": "lost"})


async def test_admins_keep_peoples_contact_fields_and_who_is_on_duty(gf: Gridflow) -> None:
    person = {
        "user_id": "sun2",
        "name": "孙二",
        "role": "department_staff",
        "department": "cgj",
        "password": "a-long-enough-password",
    }
    await refused(gf, "POST", "/admin/users", "email", json=person | {"email": "not-an-address"})
    await refused(gf, "POST", "/admin/users", "phone", json=person | {"phone": "12345"})
    await refused(gf, "POST", "/admin/users", "phone", json=person | {"phone": "+1 555 0100"})
    made = await ok(
        gf,
        "POST",
        "/admin/users",
        201,
        json=person | {"email": "sun2@cgj.gov.cn", "phone": "+8613812345678", "on_duty": False},
    )
    assert (made["email"], made["phone"], made["on_duty"]) == (
        "sun2@cgj.gov.cn",
        "+8613812345678",
        False,
    )
    await refused(gf, "PATCH", "/admin/users/zhao", "on_duty", json={"on_duty": None})
    off = await ok(
        gf, "PATCH", "/admin/users/zhao", json={"on_duty": False, "phone": "13912345678"}
    )
    assert off["on_duty"] is False and off["phone"] == "13912345678"
    listed = {u["user_id"]: u for u in await ok(gf, "GET", "/admin/users")}
    assert listed["zhao"]["phone"] == "13912345678" and listed["sun2"]["on_duty"] is False

    # Off duty, the department's staff hear nothing; the supervisor over the place still does.
    await publish(gf.db, notice(EventKind.BREACH))
    assert (await gf.call("GET", "/my/notices/unread-count", CGJ)).json()["unread"] == 0
    assert (await gf.call("GET", "/my/notices/unread-count", WU)).json()["unread"] == 1
    # The person's token still works: contact fields and duty are not rights.
    assert (await gf.call("GET", "/my/notices", CGJ)).status_code == 200
