"""Admin: notification channels and subscriptions, who hears what over which channel
(docs/notification-centre.md; the deliveries are api/routes/notify_deliveries.py).

A channel's secret is write-only: stored encrypted with GRIDFLOW_SECRETS_KEY, or named as an
environment variable; answers say whether there is one, never what it is.
"""

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

import structlog
from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field, SecretStr

from api.deps import AdminUser, SessionDep, SettingsDep
from api.errors import ApiError, invalid
from api.notice_views import SLUG
from api.paging import Page, PageParams
from api.schemas import NOT_BLANK, Body, Code
from domain.notices import Audience, ChannelKind, EventKind
from readmodel.notices import channel_store
from readmodel.notices.secrets import encrypt
from readmodel.notices.tables import NotificationChannel, NotificationSubscription
from readmodel.reference import catalogue_store, map_store
from settings import Settings

router = APIRouter(prefix="/admin", tags=["notification admin"])
log = structlog.get_logger()

ChannelIdPath = Annotated[str, Path(pattern=SLUG, description="a slug: cgj-wecom")]
ChannelId = Annotated[str, Field(pattern=SLUG, description="a slug: lower-case, digits, -")]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK)]
Url = Annotated[str, Field(min_length=1, max_length=2000)]
Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]
EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]{0,127}$")]
ChannelSettings = Annotated[dict[str, Any], Field(max_length=30)]
# Names that say a secret: such a value goes in `secret` (encrypted), not in a URL or settings.
SECRET_NAME = re.compile(r"secret|passw|token|apikey|(^|[_-])key$|^sign$", re.IGNORECASE)
SCHEMES = {ChannelKind.EMAIL: ("smtp", "smtps")}
WEB_SCHEMES = ("http", "https")


class ChannelIn(Body):
    channel_id: ChannelId
    kind: ChannelKind
    name: Name
    url: Url | None = Field(default=None, description="https://… endpoint; smtp(s)://host:port")
    settings: ChannelSettings = Field(default_factory=dict, description="no secrets here")
    secret: Secret | None = Field(default=None, description="write-only: stored encrypted")
    secret_env: EnvName | None = Field(default=None, description="or: a variable holding it")
    active: bool = True


class ChannelChange(Body):
    """Only the fields given change; a channel's kind never does. `secret` or `secret_env`
    replaces the one kept; null removes it."""

    name: Name | None = None
    url: Url | None = None
    settings: ChannelSettings | None = None
    secret: Secret | None = None
    secret_env: EnvName | None = None
    active: bool | None = None


class ChannelPublic(BaseModel):
    channel_id: str
    kind: str
    name: str
    url: str | None
    settings: dict[str, Any]
    has_secret: bool = Field(description="a secret is kept (encrypted or in secret_env)")
    secret_env: str | None
    active: bool
    created_at: datetime


class ChannelPage(Page[ChannelPublic]):
    pass


class SubscriptionIn(Body):
    kind: EventKind
    audience: Audience
    channel_id: ChannelId
    scope: Code | None = Field(default=None, description="a department code or an area code")


class SubscriptionPublic(BaseModel):
    id: int
    kind: str
    audience: str
    channel_id: str
    scope: str | None
    active: bool
    created_at: datetime


class SubscriptionPage(Page[SubscriptionPublic]):
    pass


def _channel(row: NotificationChannel) -> ChannelPublic:
    return ChannelPublic(
        **row.model_dump(exclude={"secret_ciphertext"}),
        has_secret=bool(row.secret_ciphertext or row.secret_env),
    )


def _subscription(row: NotificationSubscription) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(row, from_attributes=True)


def _check_url(kind: ChannelKind, url: str | None) -> None:
    if kind is ChannelKind.IN_APP:
        if url is not None:
            raise invalid("url", "an in-app channel has no url")
        return
    if url is None:
        raise invalid("url", f"a {kind} channel needs a url")
    schemes = SCHEMES.get(kind, WEB_SCHEMES)
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise invalid("url", f"a {kind} channel's url is {' or '.join(schemes)}://host…")
    if parts.username or parts.password:
        raise invalid("url", "no credentials in the url: put the password in secret")
    if named := [k for k, _ in parse_qsl(parts.query) if SECRET_NAME.search(k)]:
        raise invalid("url", f"{named[0]} looks like a secret: put it in secret")


def _check_settings(settings: dict[str, Any]) -> None:
    if named := [k for k in settings if SECRET_NAME.search(k)]:
        raise invalid(f"settings.{named[0]}", "looks like a secret: put it in secret")
    if len(json.dumps(settings, ensure_ascii=False)) > 4000:
        raise invalid("settings", "at most 4000 characters as JSON")


def _secret_fields(given: dict[str, Any], body: Any, config: Settings) -> dict[str, Any]:
    """The columns a request's secret or secret_env sets (none when it names neither)."""
    if given.get("secret") is not None and given.get("secret_env") is not None:
        raise invalid("secret", "give secret or secret_env, not both")
    if given.get("secret") is not None:
        if config.secrets_key is None:
            raise invalid(
                "secret",
                "GRIDFLOW_SECRETS_KEY is not set, so a secret cannot be stored: set it, "
                "or name an environment variable in secret_env",
            )
        key = config.secrets_key.get_secret_value()
        ciphertext = encrypt(key, body.secret.get_secret_value())
        return {"secret_ciphertext": ciphertext, "secret_env": None}
    if given.get("secret_env") is not None:
        return {"secret_ciphertext": None, "secret_env": body.secret_env}
    return {
        column: None
        for field, column in (("secret", "secret_ciphertext"), ("secret_env", "secret_env"))
        if field in given
    }


@router.get("/channels", response_model=ChannelPage)
async def list_channels(user: AdminUser, session: SessionDep, paging: PageParams) -> ChannelPage:
    """Every channel, active or not (admins); never a secret."""
    rows, total = await channel_store.channels(
        session=session, limit=paging.limit, offset=paging.offset
    )
    return ChannelPage.of([_channel(r) for r in rows], total, paging)


@router.post("/channels", response_model=ChannelPublic, status_code=201)
async def add_channel(
    body: ChannelIn, user: AdminUser, session: SessionDep, config: SettingsDep
) -> ChannelPublic:
    """A new channel (admins): its secret is kept encrypted, or read from `secret_env`."""
    _check_url(body.kind, body.url)
    _check_settings(body.settings)
    secret = _secret_fields(body.model_dump(exclude_unset=True), body, config)
    row = NotificationChannel(
        channel_id=body.channel_id,
        kind=body.kind.value,
        name=body.name,
        url=body.url,
        settings=body.settings,
        active=body.active,
        created_at=datetime.now(UTC),
        **secret,
    )
    try:
        row = await channel_store.add_channel(session=session, row=row)
    except channel_store.ChannelExists as err:
        raise ApiError(409, str(err)) from None
    log.info("channel_added", channel_id=row.channel_id, kind=row.kind, by=user.user_id)
    return _channel(row)


@router.put("/channels/{channel_id}", response_model=ChannelPublic)
async def change_channel(
    channel_id: ChannelIdPath,
    body: ChannelChange,
    user: AdminUser,
    session: SessionDep,
    config: SettingsDep,
) -> ChannelPublic:
    """Change a channel's name, url, settings, secret or active flag (admins)."""
    row = await channel_store.channel(session=session, channel_id=channel_id)
    if row is None:
        raise ApiError(404, f"no channel {channel_id}")
    given = body.model_dump(exclude_unset=True)
    for field in ("name", "settings", "active"):
        if field in given and given[field] is None:
            raise invalid(field, "must not be null")
    url = given["url"] if "url" in given else row.url
    _check_url(ChannelKind(row.kind), url)
    _check_settings(given.get("settings") or {})
    changes = {k: v for k, v in given.items() if k not in ("secret", "secret_env")}
    changes |= _secret_fields(given, body, config)
    for column, value in changes.items():
        setattr(row, column, value)
    row = await channel_store.save_channel(session=session, row=row)
    log.info("channel_changed", channel_id=channel_id, fields=sorted(given), by=user.user_id)
    return _channel(row)


@router.delete("/channels/{channel_id}", response_model=ChannelPublic)
async def deactivate_channel(
    channel_id: ChannelIdPath, user: AdminUser, session: SessionDep
) -> ChannelPublic:
    """Deactivate a channel (admins): nothing more is sent through it; its deliveries and
    subscriptions stay on record, and PUT {"active": true} brings it back."""
    row = await channel_store.channel(session=session, channel_id=channel_id)
    if row is None:
        raise ApiError(404, f"no channel {channel_id}")
    row.active = False
    row = await channel_store.save_channel(session=session, row=row)
    log.info("channel_deactivated", channel_id=channel_id, by=user.user_id)
    return _channel(row)


@router.get("/subscriptions", response_model=SubscriptionPage)
async def list_subscriptions(
    user: AdminUser,
    session: SessionDep,
    paging: PageParams,
    kind: EventKind | None = None,
    channel_id: Annotated[str | None, Query(pattern=SLUG)] = None,
) -> SubscriptionPage:
    """Who hears what (admins): event kind × audience × channel, narrowed by scope."""
    rows, total = await channel_store.subscriptions(
        session=session,
        kind=kind.value if kind else None,
        channel_id=channel_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    return SubscriptionPage.of([_subscription(r) for r in rows], total, paging)


@router.post("/subscriptions", response_model=SubscriptionPublic, status_code=201)
async def add_subscription(
    body: SubscriptionIn, user: AdminUser, session: SessionDep
) -> SubscriptionPublic:
    """Events of `kind` go to `audience` over `channel_id`, in `scope` if given (admins)."""
    if await channel_store.channel(session=session, channel_id=body.channel_id) is None:
        raise invalid("channel_id", f"unknown channel {body.channel_id}")
    scope = body.scope
    if scope is not None and not (
        await catalogue_store.department(session=session, code=scope)
        or await map_store.area(session=session, code=scope)
        or await map_store.grid(session=session, code=scope)
    ):
        raise invalid("scope", f"{scope} is no department, area or grid code")
    try:
        row = await channel_store.add_subscription(
            session=session,
            kind=body.kind.value,
            audience=body.audience.value,
            channel_id=body.channel_id,
            scope=scope,
            now=datetime.now(UTC),
        )
    except channel_store.SubscriptionExists as err:
        raise ApiError(409, str(err)) from None
    log.info("subscription_added", subscription_id=row.id, kind=row.kind, by=user.user_id)
    return _subscription(row)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def remove_subscription(
    subscription_id: Annotated[int, Path(ge=1, le=2**31 - 1)], user: AdminUser, session: SessionDep
) -> Response:
    """Remove a subscription (admins): later events no longer reach its audience that way."""
    if not await channel_store.remove_subscription(
        session=session, subscription_id=subscription_id
    ):
        raise ApiError(404, f"no subscription {subscription_id}")
    log.info("subscription_removed", subscription_id=subscription_id, by=user.user_id)
    return Response(status_code=204)
