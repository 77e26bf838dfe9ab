"""Users' credentials, revoked access tokens and API keys in the read model (docs/auth.md)."""

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, delete, exists, select
from sqlmodel.ext.asyncio.session import AsyncSession

from readmodel.access.tables import ApiKey, RevokedToken, User

# A change of any of these takes effect at once: the user's older access tokens stop working.
RIGHTS = ("role", "department", "grids", "area", "active")


async def revoke_token(*, session: AsyncSession, jti: str, user_id: str, expires_at: int) -> None:
    """Log an access token out; forget tokens that have expired anyway."""
    await session.exec(delete(RevokedToken).where(col(RevokedToken.expires_at) < int(time.time())))
    if await session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, user_id=user_id, expires_at=expires_at))
    await session.commit()


async def token_holder(*, session: AsyncSession, user_id: str, jti: str) -> User | None:
    """An access token's user, unless the token was revoked: one round trip (every
    authenticated request asks this)."""
    revoked = exists().where(col(RevokedToken.jti) == jti)
    row = (await session.exec(select(User, revoked).where(col(User.user_id) == user_id))).first()
    return row[0] if row is not None and not row[1] else None


async def get_user(*, session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def users_by_id(*, session: AsyncSession, user_ids: list[str]) -> dict[str, User]:
    rows = (await session.exec(select(User).where(col(User.user_id).in_(user_ids)))).all()
    return {u.user_id: u for u in rows}


async def list_users(*, session: AsyncSession) -> Sequence[User]:
    return (await session.exec(select(User).order_by(col(User.user_id)))).all()


async def create_user(
    *,
    session: AsyncSession,
    user_id: str,
    name: str,
    role: str,
    department: str | None,
    grids: list[str],
    area: str | None,
    password_hash: str,
    on_duty: bool = True,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    user = User(
        user_id=user_id,
        name=name,
        role=role,
        department=department,
        grids=grids,
        area=area,
        password_hash=password_hash,
        active=True,
        on_duty=on_duty,
        email=email,
        phone=phone,
        token_version=0,
    )
    session.add(user)
    await session.commit()
    return user


async def update_user(
    *, session: AsyncSession, user: User, changes: dict[str, Any], password_hash: str | None = None
) -> User:
    """Apply an admin's changes; new rights or a new password end the user's older tokens."""
    ends_tokens = password_hash is not None
    for field, value in changes.items():
        if getattr(user, field) != value:
            setattr(user, field, value)
            ends_tokens = ends_tokens or field in RIGHTS
    if password_hash is not None:
        user.password_hash = password_hash
    if ends_tokens:
        user.token_version += 1
    session.add(user)
    await session.commit()
    await session.refresh(user)
    return user


async def create_api_key(
    *,
    session: AsyncSession,
    key_id: str,
    user_id: str,
    label: str,
    key_hash: str,
    prefix: str,
    created_by: str,
    scopes: list[str],
    role: str,
) -> ApiKey:
    row = ApiKey(
        key_id=key_id,
        user_id=user_id,
        label=label,
        key_hash=key_hash,
        prefix=prefix,
        created_at=datetime.now(UTC),
        created_by=created_by,
        scopes=scopes,
        role=role,
    )
    session.add(row)
    await session.commit()
    return row


async def get_api_key(*, session: AsyncSession, key_id: str) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def list_api_keys(*, session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.exec(select(ApiKey).order_by(col(ApiKey.created_at)))).all()


async def revoke_api_key(*, session: AsyncSession, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        session.add(key)
        await session.commit()
    return key


async def key_holder(*, session: AsyncSession, key_hash: str) -> tuple[ApiKey, User] | None:
    """A live (not revoked) key and its active owner, or None: one round trip (every request
    made with a key asks this)."""
    row = (
        await session.exec(
            select(ApiKey, User)
            .join(User, col(User.user_id) == col(ApiKey.user_id))
            .where(ApiKey.key_hash == key_hash, col(ApiKey.revoked_at).is_(None), col(User.active))
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def seed_api_key(
    *,
    session: AsyncSession,
    key_id: str,
    user_id: str,
    label: str,
    key_hash: str,
    scopes: list[str],
    role: str,
) -> None:
    """A demo key, inserted once (a revoked demo key stays revoked)."""
    if await session.get(ApiKey, key_id) is None:
        session.add(
            ApiKey(
                key_id=key_id,
                user_id=user_id,
                label=label,
                key_hash=key_hash,
                prefix="demo",
                created_at=datetime.now(UTC),
                created_by="seed",
                scopes=scopes,
                role=role,
            )
        )
