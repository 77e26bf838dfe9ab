"""Logging in, access tokens that cannot be forged or outlive their rights, API keys, admins."""

import base64
import hashlib
import hmac
import json
import time
import warnings
from typing import Any

import jwt
import jwt.warnings
from sqlmodel import select

from api.security import issue_access_token
from credentials import hash_password, verify_password
from readmodel.access.tables import ApiKey, User
from tests.api_fixtures import ADMIN, SENSOR, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401

NEW_PASSWORD = "a-long-new-password-42"


async def token_of(gf: Gridflow, username: str, password: str) -> str:
    response = await gf.login(username, password)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def me(gf: Gridflow, token: str) -> int:
    """GET /me's status with this bearer token."""
    response = await gf.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hs256_signed(signing_input: str, secret: str) -> str:
    """A token signed with HMAC-SHA256 whatever its header says (the algorithm confusion)."""
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "wang",
        "role": "grid_worker",
        "ver": 0,
        "jti": "j" * 32,
        "iat": now,
        "exp": now + 600,
    } | overrides


async def test_login_gives_a_bearer_jwt_that_names_the_user(gf: Gridflow) -> None:
    response = await gf.login("wang", WANG)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 30 * 60
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    payload = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert payload["sub"] == "wang" and payload["role"] == "grid_worker" and payload["ver"] == 0
    assert payload["exp"] - payload["iat"] == 30 * 60 and len(payload["jti"]) >= 16
    seen = await gf.http.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert seen.status_code == 200 and seen.json()["user_id"] == "wang"
    again = await token_of(gf, "wang", WANG)
    assert jwt.decode(again, options={"verify_signature": False})["jti"] != payload["jti"]


async def test_wrong_password_unknown_user_and_inactive_user_get_the_same_401(gf: Gridflow) -> None:
    admin = await gf.headers(ADMIN)
    off = await gf.http.patch("/api/v1/admin/users/li", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    answers = [
        await gf.login("wang", "demo-worker-li"),
        await gf.login("nobody", WANG),
        await gf.login("li", "demo-worker-li"),
        await gf.login("wang", ""),
    ]
    assert [a.status_code for a in answers[:3]] == [401, 401, 401]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert answers[0].json()["error"]["message"] == "wrong user name or password"
    assert answers[0].headers["www-authenticate"] == "Bearer"
    assert answers[3].status_code == 422  # an empty password is a form error, not a login
    missing = await gf.http.post("/api/v1/auth/token", data={"username": "wang"})
    assert missing.status_code == 422 and "password" in missing.json()["error"]["message"]


async def test_expired_tampered_and_foreign_tokens_are_refused(gf: Gridflow) -> None:
    secret = gf.config.signing_secret()
    good = await token_of(gf, "wang", WANG)
    assert await me(gf, good) == 200
    honest = hs256_signed(f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims())}", secret)
    assert await me(gf, honest) == 200  # so the RS256 header below is what gets refused
    expired = issue_access_token(
        user_id="wang",
        role="grid_worker",
        token_version=0,
        secret=secret,
        minutes=30,
        now=time.time() - 3600,
    )
    header, payload, signature = good.split(".")
    as_supervisor = json.loads(base64.urlsafe_b64decode(payload + "=="))
    as_supervisor["sub"] = "chen"
    with warnings.catch_warnings():  # the secret is short for HS512: that is not the point
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        hs512 = jwt.encode(claims(), secret, algorithm="HS512")
    forged = [
        expired.token,
        f"{header}.{b64(as_supervisor)}.{signature}",  # another user, the old signature
        f"{header}.{payload}.{signature[:-4]}AAAA",  # a changed signature
        jwt.encode(claims(), "another-secret-of-thirty-two-bytes-or-more", algorithm="HS256"),
        f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims())}.",  # alg none, no signature
        hs512,  # the right secret, not the pinned algorithm
        f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims())}.{b64(b'x' * 256)}",
        hs256_signed(f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims())}", secret),
        "not-a-token",
        "a.b.c",
        "",
    ]
    for token in forged:
        response = await gf.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] == "unauthorized"
    assert await me(gf, good) == 200


async def test_tokens_missing_a_required_claim_are_refused(gf: Gridflow) -> None:
    secret = gf.config.signing_secret()
    assert await me(gf, jwt.encode(claims(), secret, algorithm="HS256")) == 200  # well formed
    for claim in ("sub", "exp", "iat", "jti"):
        partial = {k: v for k, v in claims().items() if k != claim}
        assert await me(gf, jwt.encode(partial, secret, algorithm="HS256")) == 401, claim
    for odd in (claims(sub="nobody"), claims(sub=7), claims(ver="0"), claims(ver=1)):
        assert await me(gf, jwt.encode(odd, secret, algorithm="HS256")) == 401, odd


async def test_logout_revokes_only_that_token(gf: Gridflow) -> None:
    first, second = await token_of(gf, "wang", WANG), await token_of(gf, "wang", WANG)
    out = await gf.http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"})
    assert out.status_code == 204
    assert await me(gf, first) == 401 and await me(gf, second) == 200
    again = await gf.http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"})
    assert again.status_code == 401
    with_key = await gf.http.post("/api/v1/auth/logout", headers={"X-API-Key": SENSOR})
    assert with_key.status_code == 403 and "API key" in with_key.json()["error"]["message"]


async def test_new_rights_end_older_tokens(gf: Gridflow) -> None:
    admin = await gf.headers(ADMIN)
    before = await token_of(gf, "wang", WANG)
    same = await gf.http.patch("/api/v1/admin/users/wang", json={"name": "王网格员"}, headers=admin)
    assert same.status_code == 200 and await me(gf, before) == 200  # no new rights
    grids = same.json()["grids"]
    moved = await gf.http.patch(
        "/api/v1/admin/users/wang", json={"grids": grids[:1]}, headers=admin
    )
    assert moved.status_code == 200 and moved.json()["grids"] == grids[:1]
    assert await me(gf, before) == 401
    promoted = await token_of(gf, "wang", WANG)
    changed = await gf.http.patch(
        "/api/v1/admin/users/wang", json={"role": "supervisor", "area": "330106"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert await me(gf, promoted) == 401
    now = await token_of(gf, "wang", WANG)
    assert jwt.decode(now, options={"verify_signature": False})["role"] == "supervisor"
    listed = await gf.http.get(
        "/api/v1/tickets/overdue", headers={"Authorization": f"Bearer {now}"}
    )
    assert listed.status_code == 200  # a supervisor's list, with the new token


async def test_password_reset_ends_older_tokens_and_the_old_password(gf: Gridflow) -> None:
    admin = await gf.headers(ADMIN)
    old = await token_of(gf, "wang", WANG)
    short = await gf.http.patch(
        "/api/v1/admin/users/wang", json={"password": "short"}, headers=admin
    )
    assert short.status_code == 422 and "password" in short.json()["error"]["message"]
    reset = await gf.http.patch(
        "/api/v1/admin/users/wang", json={"password": NEW_PASSWORD}, headers=admin
    )
    assert reset.status_code == 200 and "password" not in json.dumps(reset.json())
    assert await me(gf, old) == 401
    assert (await gf.login("wang", WANG)).status_code == 401
    assert await me(gf, await token_of(gf, "wang", NEW_PASSWORD)) == 200


async def test_admins_manage_users_and_passwords_are_never_shown(gf: Gridflow) -> None:
    admin = await gf.headers(ADMIN)
    for caller in (WANG, SUPERVISOR):
        assert (await gf.call("GET", "/admin/users", caller)).status_code == 403
        assert (
            await gf.call(
                "POST",
                "/admin/api-keys",
                caller,
                json={"user_id": "gateway", "label": "x", "scopes": ["sensor_intake"]},
            )
        ).status_code == 403
    new = {
        "user_id": "ma",
        "name": "马网格员",
        "role": "grid_worker",
        "grids": ["33010600100101"],
        "password": NEW_PASSWORD,
    }
    created = await gf.http.post("/api/v1/admin/users", json=new, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["active"] is True and "password" not in json.dumps(created.json())
    assert (await gf.http.post("/api/v1/admin/users", json=new, headers=admin)).status_code == 409
    bad: list[tuple[dict[str, object], str]] = [
        ({"password": "short"}, "password"),
        ({"grids": ["nowhere"]}, "grids"),
        ({"role": "department_staff", "grids": []}, "department"),
        ({"role": "system"}, "role"),
        ({"department": "nope"}, "department"),
    ]
    for change, field in bad:
        refused = await gf.http.post(
            "/api/v1/admin/users", headers=admin, json=new | {"user_id": "ma2"} | change
        )
        assert refused.status_code == 422, (change, refused.text)
        assert field in refused.json()["error"]["message"], change
    assert await me(gf, await token_of(gf, "ma", NEW_PASSWORD)) == 200
    users = await gf.http.get("/api/v1/admin/users", headers=admin)
    assert {"ma", "wang", "admin", "gateway"} <= {u["user_id"] for u in users.json()}
    assert "password" not in users.text and "$argon2" not in users.text
    myself = await gf.http.patch("/api/v1/admin/users/admin", json={"active": False}, headers=admin)
    assert myself.status_code == 409
    async with gf.db.session() as session:
        stored = await session.get(User, "ma")
        assert stored is not None and stored.password_hash is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert NEW_PASSWORD not in stored.password_hash
        demo = await session.get(User, "wang")
        assert demo is not None and demo.password_hash and WANG not in demo.password_hash


async def test_api_keys_act_as_their_owner_until_revoked(gf: Gridflow) -> None:
    admin = await gf.headers(ADMIN)
    demo = await gf.http.get("/api/v1/me", headers={"X-API-Key": SENSOR})
    assert demo.status_code == 200 and demo.json()["role"] == "sensor"
    made = await gf.http.post(
        "/api/v1/admin/api-keys",
        headers=admin,
        json={"user_id": "gateway", "label": "east gate", "scopes": ["sensor_intake"]},
    )
    assert made.status_code == 201, made.text
    key, key_id = made.json()["key"], made.json()["key_id"]
    assert len(key) >= 40 and key.startswith(made.json()["prefix"])
    seen = await gf.http.get("/api/v1/me", headers={"X-API-Key": key})
    assert seen.status_code == 200 and seen.json()["user_id"] == "gateway"
    listed = await gf.http.get("/api/v1/admin/api-keys", headers=admin)
    assert listed.status_code == 200 and key not in listed.text and SENSOR not in listed.text
    rows = {k["key_id"]: k for k in listed.json()}
    assert rows[key_id]["label"] == "east gate" and rows[key_id]["revoked_at"] is None
    assert "key" not in rows[key_id] and "key_hash" not in rows[key_id]
    async with gf.db.session() as session:
        stored = (await session.exec(select(ApiKey).where(ApiKey.key_id == key_id))).one()
        assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest() != key
    refusals: list[dict[str, object]] = [
        {"user_id": "admin", "label": "x"},
        {"user_id": "nobody", "label": "x"},
        {"user_id": "gateway", "label": ""},
    ]
    for refused in refusals:
        refused |= {"scopes": ["sensor_intake"]}
        answer = await gf.http.post("/api/v1/admin/api-keys", headers=admin, json=refused)
        assert answer.status_code == 422, refused
    gone = await gf.http.delete(f"/api/v1/admin/api-keys/{key_id}", headers=admin)
    assert gone.status_code == 200 and gone.json()["revoked_at"] is not None
    assert (await gf.http.get("/api/v1/me", headers={"X-API-Key": key})).status_code == 401
    assert (await gf.http.get("/api/v1/me", headers={"X-API-Key": SENSOR})).status_code == 200
    missing = await gf.http.delete("/api/v1/admin/api-keys/ak-nothing", headers=admin)
    assert missing.status_code == 404
    off = await gf.http.patch("/api/v1/admin/users/gateway", json={"active": False}, headers=admin)
    assert off.status_code == 200
    assert (await gf.http.get("/api/v1/me", headers={"X-API-Key": SENSOR})).status_code == 401


def test_an_unknown_user_costs_a_password_verification() -> None:
    """Refusing an unknown user takes about as long as refusing a wrong password (no user-name
    probing by timing): both run one argon2id verification."""
    stored = hash_password(NEW_PASSWORD)

    def fastest(password_hash: str | None) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert verify_password("not-the-password", password_hash) is False
            times.append(time.perf_counter() - start)
        return min(times)

    wrong_password, unknown_user = fastest(stored), fastest(None)
    assert unknown_user > 0.5 * wrong_password, (unknown_user, wrong_password)
