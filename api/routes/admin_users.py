"""Admin: users (rights, password, active) and API keys for machine clients (docs/auth.md)."""

import asyncio
import secrets
from datetime import datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import AdminUser, SessionDep
from api.errors import ApiError, invalid
from api.key_scopes import KeyScope, check_owner
from api.schemas import ID_PATTERN, NOT_BLANK, Body
from credentials import (
    API_KEY_PREFIX,
    MIN_PASSWORD_LENGTH,
    api_key_hash,
    hash_password,
    new_api_key,
)
from domain.states import Role
from readmodel.access import auth_store
from readmodel.access.tables import ApiKey, User
from readmodel.reference import catalogue_store, map_store

router = APIRouter(prefix="/admin", tags=["admin"])
log = structlog.get_logger()

UserId = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=256,
        description=f"at least {MIN_PASSWORD_LENGTH} characters",
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK)]
Label = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
# Contact fields for notices (personal data: admins read them here, nothing logs them).
Email = Annotated[
    str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s.]+$", description="a@b.cn")
]
Phone = Annotated[
    str, Field(pattern=r"^(\+86)?1[3-9]\d{9}$", description="a mainland mobile: 13812345678")
]
# Roles a person or machine account can have; "system" is the workflows' own.
AssignableRole = Annotated[
    Role, Field(description="grid_worker, department_staff, supervisor, sensor or admin")
]


class UserOut(BaseModel):
    user_id: str
    name: str
    role: str
    department: str | None
    grids: list[str]
    area: str | None
    active: bool
    on_duty: bool = Field(description="department staff off duty hear no notices")
    email: str | None
    phone: str | None


class UserIn(Body):
    user_id: UserId
    name: Name
    role: AssignableRole
    department: Code | None = None
    grids: list[Code] = Field(default_factory=list, max_length=200)
    area: Code | None = None
    password: Password
    on_duty: bool = True
    email: Email | None = None
    phone: Phone | None = None


class UserChange(Body):
    """Only the fields given change; a new role, department, grids, area, active flag or
    password ends the user's older access tokens."""

    name: Name | None = None
    role: AssignableRole | None = None
    department: Code | None = None
    grids: list[Code] | None = Field(default=None, max_length=200)
    area: Code | None = None
    active: bool | None = None
    password: Password | None = None
    on_duty: bool | None = None
    email: Email | None = None
    phone: Phone | None = None


class ApiKeyIn(Body):
    user_id: UserId = Field(description="the user the key acts as (e.g. the sensor gateway)")
    label: Label
    scopes: list[KeyScope] = Field(
        min_length=1,
        max_length=len(KeyScope),
        description="what the key may do, checked on every use: sensor_intake (POST /incidents, "
        "read its reports), open311_report (Open311 reports), read_only (GET); "
        "never admin",
    )


class ApiKeyOut(BaseModel):
    key_id: str
    user_id: str
    label: str
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    scopes: list[str]
    role: str = Field(description="the owner's role when the key was made: the key acts with it")


class NewApiKey(ApiKeyOut):
    key: str = Field(description="the key itself: shown this once, only its hash is kept")


def _out(user: User) -> UserOut:
    return UserOut(
        user_id=user.user_id,
        name=user.name,
        role=user.role,
        department=user.department,
        grids=list(user.grids),
        area=user.area,
        active=user.active,
        on_duty=user.on_duty,
        email=user.email,
        phone=user.phone,
    )


async def _check_references(
    session: AsyncSession, *, role: str, department: str | None, grids: list[str], area: str | None
) -> None:
    """The user's department, grids and area exist, and the role has what it needs."""
    if role == Role.SYSTEM:
        raise invalid("role", "system is the workflows' own role")
    if (
        department is not None
        and await catalogue_store.department(session=session, code=department) is None
    ):
        raise invalid("department", f"unknown department {department}")
    if grids and (unknown := await map_store.unknown_grids(session=session, codes=grids)):
        raise invalid("grids", f"unknown grids {', '.join(unknown)}")
    if area is not None and await map_store.area(session=session, code=area) is None:
        raise invalid("area", f"unknown area {area}")
    if role == Role.DEPARTMENT_STAFF and department is None:
        raise invalid("department", "department staff need a department")
    if role == Role.GRID_WORKER and not grids:
        raise invalid("grids", "a grid worker needs at least one grid")


@router.get("/users", response_model=list[UserOut])
async def list_users(user: AdminUser, session: SessionDep) -> list[UserOut]:
    """Every user with role, department, grids, area and active flag (admins); no passwords."""
    return [_out(u) for u in await auth_store.list_users(session=session)]


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(body: UserIn, user: AdminUser, session: SessionDep) -> UserOut:
    """Add a user with a password (admins)."""
    if await auth_store.get_user(session=session, user_id=body.user_id) is not None:
        raise ApiError(409, f"user {body.user_id} exists already")
    await _check_references(
        session, role=body.role, department=body.department, grids=body.grids, area=body.area
    )
    created = await auth_store.create_user(
        session=session,
        user_id=body.user_id,
        name=body.name,
        role=body.role.value,
        department=body.department,
        grids=body.grids,
        area=body.area,
        password_hash=await asyncio.to_thread(hash_password, body.password),
        on_duty=body.on_duty,
        email=body.email,
        phone=body.phone,
    )
    log.info("user_created", user_id=created.user_id, role=created.role, by=user.user_id)
    return _out(created)


@router.patch("/users/{user_id}", response_model=UserOut)
async def change_user(
    user_id: Annotated[str, Path(max_length=64)],
    body: UserChange,
    user: AdminUser,
    session: SessionDep,
) -> UserOut:
    """Change a user's rights, name, active flag or password (admins); new rights or a new
    password end the user's older access tokens at once."""
    target = await auth_store.get_user(session=session, user_id=user_id)
    if target is None:
        raise ApiError(404, f"no user {user_id}")
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    if changes.get("role") is not None:
        changes["role"] = Role(changes["role"]).value
    for field in ("name", "role", "grids", "active", "on_duty"):
        if field in changes and changes[field] is None:
            raise invalid(field, "must not be null")
    after = {f: changes.get(f, getattr(target, f)) for f in ("role", "department", "grids", "area")}
    await _check_references(session, **after)
    if target.user_id == user.user_id and (
        changes.get("active") is False or changes.get("role", Role.ADMIN) != Role.ADMIN
    ):
        raise ApiError(409, "you cannot deactivate yourself or take your own admin role")
    password_hash = (
        await asyncio.to_thread(hash_password, body.password) if body.password is not None else None
    )
    changed = await auth_store.update_user(
        session=session, user=target, changes=changes, password_hash=password_hash
    )
    log.info(
        "user_changed",
        user_id=user_id,
        fields=sorted(changes) + (["password"] if password_hash else []),
        by=user.user_id,
    )
    return _out(changed)


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        key_id=key.key_id,
        user_id=key.user_id,
        label=key.label,
        prefix=key.prefix,
        created_at=key.created_at,
        created_by=key.created_by,
        revoked_at=key.revoked_at,
        scopes=list(key.scopes),
        role=key.role,
    )


@router.post("/api-keys", response_model=NewApiKey, status_code=201)
async def create_api_key(body: ApiKeyIn, user: AdminUser, session: SessionDep) -> NewApiKey:
    """A new API key acting as the given user, within its scopes and with the role the user has
    now, never a later one (admins): the key is in this answer only."""
    owner = await auth_store.get_user(session=session, user_id=body.user_id)
    if owner is None:
        raise invalid("user_id", f"unknown user {body.user_id}")
    check_owner(owner, body.scopes)
    key = new_api_key()
    row = await auth_store.create_api_key(
        session=session,
        key_id="ak-" + secrets.token_hex(8),
        user_id=owner.user_id,
        label=body.label,
        key_hash=api_key_hash(key),
        prefix=key[: len(API_KEY_PREFIX) + 6],
        created_by=user.user_id,
        scopes=[s.value for s in body.scopes],
        role=owner.role,
    )
    log.info(
        "api_key_created",
        key_id=row.key_id,
        user_id=owner.user_id,
        scopes=row.scopes,
        by=user.user_id,
    )
    return NewApiKey(**_key_out(row).model_dump(), key=key)


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(user: AdminUser, session: SessionDep) -> list[ApiKeyOut]:
    """Every API key, revoked ones too, oldest first (admins); never the keys themselves."""
    return [_key_out(k) for k in await auth_store.list_api_keys(session=session)]


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut)
async def revoke_api_key(
    key_id: Annotated[str, Path(max_length=64)], user: AdminUser, session: SessionDep
) -> ApiKeyOut:
    """Revoke an API key (admins): it stops working at once."""
    key = await auth_store.get_api_key(session=session, key_id=key_id)
    if key is None:
        raise ApiError(404, f"no API key {key_id}")
    revoked = await auth_store.revoke_api_key(session=session, key=key)
    log.info("api_key_revoked", key_id=key_id, by=user.user_id)
    return _key_out(revoked)
