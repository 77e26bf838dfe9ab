"""Who may do what: every route of the app × every principal, with the exact status code.

A route of create_app() without a row in MATRIX fails `test_every_route_has_a_row`, so a new
route cannot slip in unreviewed. Principals: anonymous; wang on a ticket in his grid and on one in
li's grid (wang_other); zhao (cgj) and qian (zjj) on a cgj ticket; wu (street supervisor) on a
ticket in his street and in another street (wu_other); chen (the command centre); the admin; the
sensor gateway. The shared tickets are prepared once for the module; an allowed state-changing
cell gets a fresh ticket in the state its action needs, so its success code is exact."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api.main import create_app
from domain.calendar import ChinaWorkingCalendar
from domain.notices import event_id
from domain.reports import ReportKind, plan
from readmodel.reports import store
from readmodel.reports.compile import compile_report
from tests.authz_world import (
    ADMIN,
    FAR,
    HOME_GRID,
    LIS,
    ROAD_DAMAGE_RULE,
    TOKEN,
    P,
    World,
    world,  # noqa: F401
)
from tests.factories import GARBAGE, UNLICENSED_BUSINESS
from tests.notice_helpers import failed_delivery, notice, publish, webhook

Args = tuple[dict[str, str], dict[str, Any]]  # path parameters, request keyword arguments
Prepare = Callable[[World, str, bool], Awaitable[Args]]
# Who would be allowed if the ticket were theirs: refused only for whose ticket it is.
SIBLING = {"wang_other": "wang", "qian": "zhao", "wu_other": "wu"}


def codes(default: int, **cells: int) -> dict[str, int]:
    """Every principal gets `default`, anonymous 401, unless named."""
    return {p: default for p in P} | {"anon": 401} | cells


EVERYONE = codes(200)
# The gateway's key (sensor_intake, open311_report) reports and reads its reports, nothing else.
SIGNED_IN = codes(200, sensor=403)
SUPERVISORS = codes(403, wu=200, wu_other=200, chen=200)
CONFIG_READERS = codes(403, wu=200, wu_other=200, chen=200, admin=200)
PAGE = codes(200, anon=200)


def admin_only(success: int) -> dict[str, int]:
    return codes(403, admin=success)


@dataclass
class Row:
    expected: dict[str, int]
    prepare: Prepare | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    def in_state(self, p: str) -> bool:
        """Whether the cell needs the ticket in the action's state: when it is allowed, or when
        the same role is allowed elsewhere (then only the ticket's grid, street or department
        can be the reason for a refusal)."""
        return self.expected[p] < 300 or self.expected.get(SIBLING.get(p, ""), 400) < 300


def on_ticket(
    state: str, body: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
) -> Prepare:
    """A ticket action on a fresh ticket in `state` at the principal's place (Row.in_state),
    else on the principal's shared ticket (open and untouched)."""

    async def prepare(w: World, p: str, in_state: bool) -> Args:
        ticket_id = await w.fresh(state, p) if in_state else w.ticket_of(p)
        payload = body(w) if callable(body) else body
        return {"ticket_id": ticket_id}, ({"json": payload} if payload is not None else {})

    return prepare


def static(path: dict[str, str] | None = None, **kwargs: Any) -> Prepare:
    async def prepare(w: World, p: str, allowed: bool) -> Args:
        return dict(path or {}), kwargs

    return prepare


async def _report(w: World, p: str, allowed: bool) -> Args:
    return {}, w.report_args(p)


async def _open311_report(w: World, p: str, allowed: bool) -> Args:
    """A sensor gateway's report through Open311: its API key, a device of its own."""
    body = w.report_args("sensor")["json"]
    return {"fmt": "json"}, {
        "data": {
            "service_code": body["category"],
            "lat": str(body["lat"]),
            "long": str(body["lon"]),
            "device_id": body["device_id"],
        }
    }


async def _open311_ticket(w: World, p: str, allowed: bool) -> Args:
    return {"fmt": "json", "service_request_id": w.ticket_of("wang")}, {}


async def _photo_upload(w: World, p: str, allowed: bool) -> Args:
    return {}, w.photo_args()


async def _photo(w: World, p: str, allowed: bool) -> Args:
    return {"photo_id": w.photo_of(p)}, {}


async def _subject(w: World, p: str, allowed: bool) -> Args:
    return {"code": w.subject_of(p)}, {}


async def _recheck(w: World, p: str, allowed: bool) -> Args:
    return {"code": w.subject_of(p)}, {"json": {"clean": False, "note": "still untidy"}}


async def _black(w: World, p: str, allowed: bool) -> Args:
    code = w.subject_of(p, home=w.black_subject)
    return {"code": code}, {"json": {"reason": "shut_down"}}


async def _reinstate(w: World, p: str, in_state: bool) -> Args:
    return {"code": await w.black_subject_fresh(p) if in_state else w.subject_of(p)}, {}


async def _new_subject(w: World, p: str, allowed: bool) -> Args:
    return {}, {
        "json": {"code": w.unique("AZ-N"), "name": "新店", "kind": "shop", "grid": HOME_GRID}
    }


async def _deadline_rule(w: World, p: str, allowed: bool) -> Args:
    return {"rule_id": str(await w.deadline_rule() if allowed else w.standing_rule)}, {}


async def _new_routing_rule(w: World, p: str, allowed: bool) -> Args:
    return {}, {"json": w.routing_rule_body()}


async def _end_routing_rule(w: World, p: str, allowed: bool) -> Args:
    return {"rule_id": await w.routing_rule() if allowed else ROAD_DAMAGE_RULE}, {}


async def _new_user(w: World, p: str, allowed: bool) -> Args:
    return {}, {"json": w.user_body()}


async def _user(w: World, p: str, allowed: bool) -> Args:
    user_id = await w.new_user() if allowed else w.standing_user
    return {"user_id": user_id}, {"json": {"name": "改名 renamed", "grids": [HOME_GRID]}}


async def _api_key(w: World, p: str, allowed: bool) -> Args:
    return {"key_id": await w.new_key() if allowed else w.standing_key}, {}


async def _login(w: World, p: str, allowed: bool) -> Args:
    return {}, {"data": w.login_form(p)}


async def _logout(w: World, p: str, allowed: bool) -> Args:
    return {}, {"headers": await w.own_session_headers(p)}


async def _place_notice(w: World, p: str, allowed: bool) -> Args:
    """A breach notice about the principal's place (the same one for everyone there)."""
    place = w._place(p)
    grid = {"home": HOME_GRID, "li": LIS.code, "far": FAR.code}[place]
    event = notice(event_id=event_id("authz matrix", place), grid=grid)
    await publish(w.gf.db, event)
    return {"event_id": event.event_id}, {}


def _channel_body(w: World) -> dict[str, Any]:
    return {
        "channel_id": w.unique("az").lower(),
        "kind": "webhook",
        "name": "授权测试 webhook",
        "url": "https://hooks.example.cn/gridflow",
        "secret_env": "GF_AUTHZ_HOOK",
    }


async def _new_channel(w: World, p: str, allowed: bool) -> Args:
    return {}, {"json": _channel_body(w)}


async def _fresh_channel(w: World) -> str:
    return (await w.ok("POST", "/admin/channels", ADMIN, 201, json=_channel_body(w)))["channel_id"]


async def _channel(w: World, p: str, allowed: bool) -> Args:
    return {"channel_id": await _fresh_channel(w) if allowed else "in-app"}, {}


async def _new_subscription(w: World, p: str, allowed: bool) -> Args:
    channel_id = await _fresh_channel(w) if allowed else "in-app"
    return {}, {"json": {"kind": "breach", "audience": "supervisor", "channel_id": channel_id}}


async def _subscription(w: World, p: str, allowed: bool) -> Args:
    if not allowed:
        return {"subscription_id": "1"}, {}
    body = (await _new_subscription(w, p, allowed))[1]["json"]
    created = await w.ok("POST", "/admin/subscriptions", ADMIN, 201, json=body)
    return {"subscription_id": str(created["id"])}, {}


async def _failed_delivery(w: World, p: str, allowed: bool) -> Args:
    if not allowed:
        return {"delivery_id": "1"}, {}
    channel_id = await webhook(w.gf.db, "http://127.0.0.1:9/authz-matrix")
    return {"delivery_id": str(await failed_delivery(w.gf.db, channel_id))}, {}


async def _new_order(w: World, p: str, in_state: bool) -> Args:
    """A 督办单 on a ticket at the principal's place (a fresh one where it may be opened)."""
    ticket_id = await w.fresh("dispatched", p) if in_state else w.ticket_of(p)
    return {}, {"json": {"tickets": [ticket_id], "instruction": "请回复 reply"}}


async def _open_order(w: World, p: str) -> str:
    body = {"tickets": [w.ticket_of(p)], "instruction": "授权测试 authz"}
    return (await w.ok("POST", "/orders", TOKEN["chen"], 201, json=body))["order_id"]


_ORDERS: dict[tuple[int, str], str] = {}  # (world, place) -> an order shared by the module


async def _order_of(w: World, p: str, in_state: bool) -> str:
    """A fresh order where the action is allowed (or refused only for whose it is), else the
    place's shared one."""
    if in_state:
        return await _open_order(w, p)
    key = (id(w), w._place(p))
    if key not in _ORDERS:
        _ORDERS[key] = await _open_order(w, p)
    return _ORDERS[key]


def on_order(body: dict[str, Any] | None = None) -> Prepare:
    async def prepare(w: World, p: str, in_state: bool) -> Args:
        order_id = await _order_of(w, p, in_state)
        return {"order_id": order_id}, ({"json": body} if body is not None else {})

    return prepare


async def _periodic_report(w: World, p: str, allowed: bool) -> Args:
    """A daily report compiled in the world's read model (once; a second compile, were two cells
    to race, replaces the row with the same)."""
    key = id(w)
    if key not in _REPORTS:
        decided = plan(ReportKind.DAILY, datetime(2026, 12, 7, 1, tzinfo=UTC), _NO_CALENDAR)
        async with w.gf.db.session() as session:
            content = await compile_report(session=session, plan=decided, now=datetime.now(UTC))
            await store.save(session=session, content=content)
            await session.commit()
        _REPORTS[key] = decided.report_id
    return {"report_id": _REPORTS[key]}, {}


_REPORTS: dict[int, str] = {}  # world -> its report
_NO_CALENDAR = ChinaWorkingCalendar(days={}, known_years=[])


TODAY = datetime.now(UTC).date()
PERIOD = {"from": str(TODAY - timedelta(days=7)), "to": str(TODAY + timedelta(days=1))}
HOLD_DAYS = {"working_days": 1, "reason": "材料未到 waiting for parts"}


def _parking(w: World) -> dict[str, Any]:
    return {
        "reason": "待拆迁 awaiting demolition",
        "review_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
    }


V = "/api/v1"
T = f"{V}/tickets/{{ticket_id}}"
MATRIX: dict[tuple[str, str], Row] = {
    # reporting and reading tickets
    ("POST", f"{V}/incidents"): Row(codes(403, wang=201, sensor=201), _report),
    ("GET", f"{V}/tickets/overdue"): Row(SUPERVISORS),
    ("GET", T): Row(codes(403, wang=200, zhao=200, wu=200, chen=200), on_ticket("dispatched")),
    ("GET", f"{V}/my/tickets"): Row(codes(403, wang=200, wang_other=200, sensor=200)),
    ("GET", f"{V}/my/write-off-checks"): Row(codes(403, wang=200, wang_other=200)),
    ("GET", f"{V}/inbox"): Row(codes(403, zhao=200, qian=200)),
    ("GET", f"{V}/dispatch-queue"): Row(SUPERVISORS),
    ("GET", f"{V}/duplicates"): Row(SUPERVISORS),
    ("GET", f"{V}/extension-requests"): Row(SUPERVISORS),
    ("GET", f"{V}/parking-requests"): Row(SUPERVISORS),
    ("GET", f"{V}/notifications"): Row(codes(200, admin=403, sensor=403)),
    ("GET", f"{V}/notifications/{{event_id}}/deliveries"): Row(
        codes(403, wu=200, chen=200, admin=200), _place_notice
    ),
    # the notification centre: every person's own bell (docs/notification-centre.md)
    ("GET", f"{V}/my/notices"): Row(SIGNED_IN),
    ("GET", f"{V}/my/notices/unread-count"): Row(SIGNED_IN),
    ("POST", f"{V}/my/notices/read"): Row(SIGNED_IN, static(json={"ids": [1]})),
    ("POST", f"{V}/my/notices/read-all"): Row(SIGNED_IN),
    # acting on tickets
    ("POST", f"{T}/dispatch"): Row(
        codes(403, wu=200, chen=200), on_ticket("manual_dispatch", {"department": "cgj"})
    ),
    ("POST", f"{T}/claim"): Row(codes(403, zhao=200), on_ticket("dispatched")),
    ("POST", f"{T}/return"): Row(
        codes(403, zhao=200), on_ticket("dispatched", {"reason": "不归我们 not ours"})
    ),
    ("POST", f"{T}/start-verification"): Row(codes(403, zhao=200), on_ticket("claimed")),
    ("POST", f"{T}/verify"): Row(
        codes(403, zhao=200), on_ticket("claimed", {"outcome": "fixed_on_site"})
    ),
    ("POST", f"{T}/rectified"): Row(codes(403, zhao=200), on_ticket("rectifying")),
    ("POST", f"{T}/write-off"): Row(codes(403, wang=200, wu=200, chen=200), on_ticket("resolved")),
    ("POST", f"{T}/reject"): Row(
        codes(403, wang=200, wu=200, chen=200),
        on_ticket("resolved", {"reason": "还有垃圾 still there"}),
    ),
    ("POST", f"{T}/cancel"): Row(
        codes(403, wu=200, chen=200),
        on_ticket("dispatched", {"reason": "无效 invalid", "kind": "invalid"}),
    ),
    ("POST", f"{T}/request-extension"): Row(
        codes(403, zhao=200), on_ticket("dispatched", HOLD_DAYS)
    ),
    ("POST", f"{T}/approve-extension"): Row(
        codes(403, wu=200, chen=200), on_ticket("extension_requested")
    ),
    ("POST", f"{T}/refuse-extension"): Row(
        codes(403, wu=200, chen=200), on_ticket("extension_requested")
    ),
    ("POST", f"{T}/request-parking"): Row(codes(403, zhao=200), on_ticket("dispatched", _parking)),
    ("POST", f"{T}/approve-parking"): Row(
        codes(403, wu=200, chen=200), on_ticket("parking_requested")
    ),
    ("POST", f"{T}/refuse-parking"): Row(
        codes(403, wu=200, chen=200), on_ticket("parking_requested")
    ),
    ("POST", f"{T}/unpark"): Row(codes(403, wu=200, chen=200), on_ticket("parked")),
    ("POST", f"{T}/merge"): Row(
        codes(403, wu=200, chen=200),
        on_ticket("duplicate_review", lambda w: {"into": w.duplicate_target}),
    ),
    ("POST", f"{T}/keep-separate"): Row(
        codes(403, wu=200, chen=200), on_ticket("duplicate_review")
    ),
    ("POST", f"{T}/urge"): Row(
        codes(403, wu=200, chen=200), on_ticket("dispatched", {"message": "请尽快处置 hurry"})
    ),
    # 督办单 (docs/supervision.md)
    ("POST", f"{V}/orders"): Row(codes(403, wu=201, chen=201), _new_order),
    ("GET", f"{V}/orders"): Row(codes(403, zhao=200, qian=200, wu=200, wu_other=200, chen=200)),
    ("GET", f"{V}/orders/{{order_id}}"): Row(codes(403, zhao=200, wu=200, chen=200), on_order()),
    ("POST", f"{V}/orders/{{order_id}}/answer"): Row(
        codes(403, zhao=200),
        on_order({"done": "已处置 done", "finish_by": str(TODAY + timedelta(days=3))}),
    ),
    ("POST", f"{V}/orders/{{order_id}}/close"): Row(codes(403, wu=200, chen=200), on_order()),
    # photos
    ("POST", f"{V}/photos"): Row(codes(201, admin=403, sensor=403), _photo_upload),
    ("GET", f"{V}/photos/{{photo_id}}"): Row(
        codes(404, wang=200, zhao=200, wu=200, chen=200, sensor=403), _photo
    ),
    # aggregates
    ("GET", f"{V}/map/tickets"): Row(SUPERVISORS),
    ("GET", f"{V}/map/grid-counts"): Row(SUPERVISORS),
    ("GET", f"{V}/metrics"): Row(SUPERVISORS, static(params=PERIOD)),
    ("GET", f"{V}/metrics.csv"): Row(SUPERVISORS, static(params=PERIOD)),
    ("GET", f"{V}/metrics/daily"): Row(SUPERVISORS, static(params=PERIOD)),
    # the periodic reports (docs/reports.md): supervisors and admins read, admins run them
    ("GET", f"{V}/reports"): Row(CONFIG_READERS),
    ("GET", f"{V}/reports/{{report_id}}"): Row(CONFIG_READERS, _periodic_report),
    ("GET", f"{V}/reports/{{report_id}}.csv"): Row(CONFIG_READERS, _periodic_report),
    ("GET", f"{V}/reports/{{report_id}}.xlsx"): Row(CONFIG_READERS, _periodic_report),
    ("POST", f"{V}/admin/reports/{{kind}}/run"): Row(admin_only(202), static({"kind": "daily"})),
    # reference data, for anyone signed in
    ("GET", f"{V}/me"): Row(EVERYONE),
    ("GET", f"{V}/categories"): Row(SIGNED_IN),
    ("GET", f"{V}/category-classes"): Row(SIGNED_IN),
    ("GET", f"{V}/departments"): Row(SIGNED_IN),
    ("GET", f"{V}/map"): Row(SIGNED_IN),
    ("GET", f"{V}/routing/preview"): Row(
        SIGNED_IN, static(params={"category": GARBAGE, "grid": HOME_GRID})
    ),
    # configuration: supervisors read what their desk shows, admins write
    ("GET", f"{V}/calendar/deadline"): Row(
        CONFIG_READERS,
        static(params={"start": "2026-09-30T16:00:00+08:00", "amount": 1, "unit": "working_days"}),
    ),
    ("GET", f"{V}/admin/calendar"): Row(CONFIG_READERS, static({})),
    ("POST", f"{V}/admin/calendar/{{year}}/dry-run"): Row(
        CONFIG_READERS,
        static({"year": "2151"}, json={"holidays": [], "workdays": [], "source": "authz matrix"}),
    ),
    ("GET", f"{V}/admin/calendar/redating/{{workflow_id}}"): Row(
        codes(403, wu=404, wu_other=404, chen=404, admin=404),  # allowed through: none such
        static({"workflow_id": "calendar-notice-2151-0123456789abcdef"}),
    ),
    ("GET", f"{V}/admin/calendar/{{year}}"): Row(CONFIG_READERS, static({"year": str(TODAY.year)})),
    ("PUT", f"{V}/admin/calendar/{{year}}"): Row(
        admin_only(200),
        static({"year": "2150"}, json={"holidays": [], "workdays": [], "source": "authz matrix"}),
    ),
    ("GET", f"{V}/admin/deadline-rules"): Row(CONFIG_READERS),
    ("GET", f"{V}/admin/deadline-rules/preview"): Row(
        CONFIG_READERS, static(params={"category": "E0101"})
    ),
    ("POST", f"{V}/admin/deadline-rules"): Row(
        admin_only(201),
        static(
            json={
                "stage": "claim",
                "amount": 2,
                "unit": "working_days",
                "category": UNLICENSED_BUSINESS,
            }
        ),
    ),
    ("DELETE", f"{V}/admin/deadline-rules/{{rule_id}}"): Row(admin_only(204), _deadline_rule),
    ("GET", f"{V}/admin/routing-rules"): Row(CONFIG_READERS),
    ("GET", f"{V}/admin/routing-rules/{{rule_id}}"): Row(
        CONFIG_READERS, static({"rule_id": ROAD_DAMAGE_RULE})
    ),
    ("POST", f"{V}/admin/routing-rules"): Row(admin_only(201), _new_routing_rule),
    ("PUT", f"{V}/admin/routing-rules/{{rule_id}}"): Row(
        admin_only(200),
        static({"rule_id": ROAD_DAMAGE_RULE}, json={"note": "authz matrix: same department"}),
    ),
    ("DELETE", f"{V}/admin/routing-rules/{{rule_id}}"): Row(admin_only(200), _end_routing_rule),
    ("POST", f"{V}/map/reload"): Row(admin_only(200)),
    # subjects
    ("POST", f"{V}/admin/subjects"): Row(admin_only(201), _new_subject),
    ("GET", f"{V}/public/subjects/{{code}}"): Row(codes(200, anon=200), _subject),
    ("GET", f"{V}/subjects/{{code}}"): Row(
        codes(403, wang=200, wu=200, chen=200, admin=200), _subject
    ),
    ("POST", f"{V}/subjects/{{code}}/recheck"): Row(
        codes(403, wang=200, wu=200, chen=200), _recheck
    ),
    ("POST", f"{V}/subjects/{{code}}/black"): Row(codes(403, wu=200, chen=200), _black),
    ("POST", f"{V}/subjects/{{code}}/reinstate"): Row(codes(403, wu=200, chen=200), _reinstate),
    # authentication and the audit log (docs/auth.md)
    ("POST", f"{V}/auth/token"): Row(codes(200), _login),  # the gateway has a password too
    ("POST", f"{V}/auth/logout"): Row(codes(204, sensor=403), _logout),  # a key: not its scope
    ("GET", f"{V}/admin/audit"): Row(admin_only(200)),
    ("GET", f"{V}/admin/users"): Row(admin_only(200)),
    ("POST", f"{V}/admin/users"): Row(admin_only(201), _new_user),
    ("PATCH", f"{V}/admin/users/{{user_id}}"): Row(admin_only(200), _user),
    ("GET", f"{V}/admin/api-keys"): Row(admin_only(200)),
    ("POST", f"{V}/admin/api-keys"): Row(
        admin_only(201),
        static(json={"user_id": "gateway", "label": "authz matrix", "scopes": ["sensor_intake"]}),
    ),
    ("DELETE", f"{V}/admin/api-keys/{{key_id}}"): Row(admin_only(200), _api_key),
    # notification channels, subscriptions and deliveries
    ("GET", f"{V}/admin/channels"): Row(admin_only(200)),
    ("POST", f"{V}/admin/channels"): Row(admin_only(201), _new_channel),
    ("PUT", f"{V}/admin/channels/{{channel_id}}"): Row(
        admin_only(200), static({"channel_id": "in-app"}, json={"name": "站内通知 in-app"})
    ),
    ("DELETE", f"{V}/admin/channels/{{channel_id}}"): Row(admin_only(200), _channel),
    ("GET", f"{V}/admin/subscriptions"): Row(admin_only(200)),
    ("POST", f"{V}/admin/subscriptions"): Row(admin_only(201), _new_subscription),
    ("DELETE", f"{V}/admin/subscriptions/{{subscription_id}}"): Row(admin_only(204), _subscription),
    ("GET", f"{V}/admin/deliveries"): Row(admin_only(200)),
    ("POST", f"{V}/admin/deliveries/{{delivery_id}}/retry"): Row(admin_only(200), _failed_delivery),
    # the codec for Temporal's UI and CLI (docs/temporal-security.md): supervisors over the whole
    # map decrypt; a cookie lent to a browser is cleared by anyone
    ("POST", f"{V}/codec/decode"): Row(codes(403, chen=200), static(json={"payloads": []})),
    ("POST", f"{V}/codec/encode"): Row(codes(403, chen=200), static(json={"payloads": []})),
    ("POST", f"{V}/codec/session"): Row(codes(403, chen=204)),
    ("DELETE", f"{V}/codec/session"): Row(codes(204, anon=204)),
    # Open311 (docs/open311.md): keyless public reads; reports from machine clients' API keys,
    # refused with the spec's 403 (not 401) without one
    ("GET", "/open311/v2/discovery.{fmt}"): Row(PAGE, static({"fmt": "json"})),
    ("GET", "/open311/v2/services.{fmt}"): Row(PAGE, static({"fmt": "xml"})),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): Row(
        PAGE, static({"service_code": GARBAGE, "fmt": "json"})
    ),
    ("GET", "/open311/v2/requests.{fmt}"): Row(PAGE, static({"fmt": "json"})),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): Row(PAGE, _open311_ticket),
    ("POST", "/open311/v2/requests.{fmt}"): Row(codes(403, anon=403, sensor=201), _open311_report),
    # the web app's pages are shells: their data comes from the API above, with the caller's token
    ("GET", "/"): Row(codes(303, anon=303)),
    ("GET", "/login"): Row(PAGE),
    ("GET", "/app/worker"): Row(PAGE),
    ("GET", "/app/worker/tickets"): Row(PAGE),
    ("GET", "/app/worker/ticket"): Row(PAGE),
    ("GET", "/app/worker/checks"): Row(PAGE),
    ("GET", "/app/department"): Row(PAGE),
    ("GET", "/app/department/tickets/{ticket_id}"): Row(
        codes(303, anon=303), static({"ticket_id": "GF-X"})
    ),
    ("GET", "/app/supervisor"): Row(PAGE),
    ("GET", "/app/supervisor/tickets/{ticket_id}"): Row(PAGE, static({"ticket_id": "GF-X"})),
    ("GET", "/app/supervisor/orders"): Row(PAGE),
    ("GET", "/app/department/orders"): Row(PAGE),
    ("GET", "/app/supervisor/map"): Row(PAGE),
    ("GET", "/app/supervisor/charts"): Row(PAGE),
    ("GET", "/app/codec"): Row(PAGE),
    ("GET", "/app/admin/notifications"): Row(PAGE),
    ("GET", "/app/admin"): Row(PAGE),
    ("GET", "/app/admin/users"): Row(PAGE),
    ("GET", "/app/admin/rules"): Row(PAGE),
    ("GET", "/app/admin/calendar"): Row(PAGE),
    ("GET", "/app/reports"): Row(PAGE),
    ("GET", "/app/reports/{report_id}"): Row(PAGE, static({"report_id": "daily-2026-12-07"})),
    ("GET", "/sw.js"): Row(PAGE),
    ("GET", "/manifest.webmanifest"): Row(PAGE),
    ("GET", "/healthz"): Row(PAGE),
    # the probes and the scrape (docs/observability.md): anonymous, kept off the public proxy
    ("GET", "/readyz"): Row(PAGE),
    ("GET", "/metrics"): Row(PAGE),
}


def app_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(create_app().routes):
        if isinstance(context.original_route, APIRoute):
            assert context.path is not None and context.methods is not None  # an APIRoute has both
            found |= {(method, context.path) for method in context.methods}
    return found


def test_every_route_has_a_row() -> None:
    routes = app_routes()
    assert sorted(routes - MATRIX.keys()) == [], "routes without a row in the authz matrix"
    assert sorted(MATRIX.keys() - routes) == [], "rows for routes the app no longer has"


async def cell(w: World, method: str, path: str, row: Row, p: str) -> tuple[str, int, str]:
    params, kwargs = await (row.prepare or static())(w, p, row.in_state(p))
    kwargs = {**row.kwargs, **kwargs}
    headers = kwargs.pop("headers", None)
    if headers is None:
        token = TOKEN[p]
        headers = await w.gf.headers(token) if token else {}
    headers = headers | kwargs.pop("extra_headers", {})
    url = path.format(**params)
    response = await w.gf.http.request(method, url, headers=headers, **kwargs)
    return p, response.status_code, response.text[:300]


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
async def test_status_code_of_every_principal(world: World, route: tuple[str, str]) -> None:
    method, path = route
    row = MATRIX[route]
    results = await asyncio.gather(*(cell(world, method, path, row, p) for p in P))
    wrong = [
        f"{p}: got {status}, expected {row.expected[p]}: {text}"
        for p, status, text in results
        if status != row.expected[p]
    ]
    assert wrong == [], f"{method} {path}\n" + "\n".join(wrong)
