"""The codec endpoint for Temporal's UI and CLI (docs/temporal-security.md): the command centre's
supervisors get a ticket's payloads back in plaintext, no one else does; browsers may call it from
the Temporal UI's origin only, with a token lent as a cookie that ends with the token."""

import base64
import json
import uuid
from typing import Any

import httpx
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from temporal_codec import ENCODING, KEY_ID
from tests.api_fixtures import ADMIN, CGJ, SENSOR, SUPERVISOR, WANG, WU, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status

BACKENDS = ["sqlite"]  # the read model is not what is tested
UI = "http://temporal-ui.test:8233"
DECODE = "/api/v1/codec/decode"


async def started_payloads(gf: Gridflow, description: str) -> dict[str, Any]:
    """A new ticket's start input, as Temporal stores it (protobuf JSON, what the UI sends)."""
    ticket_id = await gf.new_ticket(description=description)
    await wait_for_status(gf, ticket_id, "dispatched")
    async for event in gf.client.get_workflow_handle(ticket_id).fetch_history_events():
        started = event.workflow_execution_started_event_attributes.input
        return json_format.MessageToDict(started)
    raise AssertionError("no start event")


def texts(body: dict[str, Any]) -> list[str]:
    return [base64.b64decode(p["data"]).decode() for p in body["payloads"]]


async def decode(gf: Gridflow, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await gf.http.post(DECODE, json=body, headers={"X-Namespace": "default"} | headers)


async def test_the_command_centre_reads_a_ticket_no_one_else_does(gf: Gridflow) -> None:
    secret = f"门口堆放 {uuid.uuid4().hex}"
    stored = await started_payloads(gf, secret)
    assert secret not in json.dumps(stored)
    (sealed,) = stored["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING

    opened = await decode(gf, stored, **await gf.headers(SUPERVISOR))
    assert opened.status_code == 200, opened.text
    (plain,) = texts(opened.json())
    assert json.loads(plain)["incident"]["description"] == secret

    refused = {
        who: (await decode(gf, stored, **await gf.headers(who))).status_code
        for who in (WU, WANG, CGJ, ADMIN, SENSOR)
    }
    assert refused == dict.fromkeys((WU, WANG, CGJ, ADMIN, SENSOR), 403)
    anonymous = await decode(gf, stored)
    assert anonymous.status_code == 401
    assert secret not in anonymous.text


async def test_encode_writes_with_the_active_key_and_bad_payloads_are_named(gf: Gridflow) -> None:
    chen = await gf.headers(SUPERVISOR)
    plain = Payload(
        metadata={"encoding": b"json/plain"}, data=b'{"note": "\xe6\x89\x8b\xe5\x86\x99"}'
    )
    body = json_format.MessageToDict(Payloads(payloads=[plain]))
    sealed = await gf.http.post("/api/v1/codec/encode", json=body, headers=chen)
    assert sealed.status_code == 200, sealed.text
    sealed_body = sealed.json()
    (payload,) = sealed_body["payloads"]
    assert base64.b64decode(payload["metadata"][KEY_ID]) == b"tests"
    assert "手写".encode() not in base64.b64decode(payload["data"])
    opened = await decode(gf, sealed_body, **chen)
    assert texts(opened.json()) == ['{"note": "手写"}']
    # Plaintext (a history from before encryption) comes back as it was.
    assert texts((await decode(gf, body, **chen)).json()) == ['{"note": "手写"}']

    payload["metadata"][KEY_ID] = base64.b64encode(b"retired-long-ago").decode()
    unknown = await decode(gf, sealed_body, **chen)
    assert unknown.status_code == 400
    assert "retired-long-ago" in unknown.json()["error"]["message"]
    other = await decode(gf, body, **chen | {"X-Namespace": "payments"})
    assert other.status_code == 400 and "X-Namespace" in other.json()["error"]["message"]
    garbled = await decode(gf, {"payloads": [{"data": "not base64!"}]}, **chen)
    assert garbled.status_code == 422 and "payloads" in garbled.json()["error"]["message"]


async def test_the_temporal_ui_origin_may_call_from_a_browser(gf: Gridflow) -> None:
    gf.config.temporal_ui_origins = [UI]
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    preflight = await gf.http.options(DECODE, headers={"Origin": UI} | asked)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == UI
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"]
    assert {"content-type", "x-namespace"} <= {h.strip() for h in allowed.split(",")}

    elsewhere = await gf.http.options(DECODE, headers={"Origin": "https://evil.test"} | asked)
    assert elsewhere.status_code == 403
    assert "access-control-allow-origin" not in elsewhere.headers

    # The answers themselves, refusals included, are readable by the UI only.
    anonymous = await decode(gf, {"payloads": []}, Origin=UI)
    assert anonymous.status_code == 401
    assert anonymous.headers["access-control-allow-origin"] == UI
    evil = await decode(
        gf, {"payloads": []}, Origin="https://evil.test", **await gf.headers(SUPERVISOR)
    )
    assert "access-control-allow-origin" not in evil.headers


async def test_a_token_lent_to_the_browser_decodes_until_it_ends(gf: Gridflow) -> None:
    stored = await started_payloads(gf, "借出的令牌 lent token")
    login = await gf.login("chen", "demo-supervisor")
    token = login.json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    lent = await gf.http.post("/api/v1/codec/session", headers=bearer)
    assert lent.status_code == 204, lent.text
    cookie = lent.headers["set-cookie"].lower()
    for attribute in ("httponly", "samesite=strict", "path=/api/v1/codec", "max-age="):
        assert attribute in cookie, cookie
    # The browser sends the cookie, no header (as the Temporal UI does with credentials).
    with_cookie = await decode(gf, stored)
    assert with_cookie.status_code == 200, with_cookie.text
    assert "借出的令牌" in texts(with_cookie.json())[0]
    # Signing out ends the token, and the cookie with it.
    assert (await gf.http.post("/api/v1/auth/logout", headers=bearer)).status_code == 204
    assert (await decode(gf, stored)).status_code == 401

    # Nor can a cookie be made of a token whose holder may not decode.
    refused = await gf.http.post("/api/v1/codec/session", headers=await gf.headers(WU))
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    cleared = await gf.http.delete("/api/v1/codec/session")
    assert cleared.status_code == 204
