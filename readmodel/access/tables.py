"""Who may call the API: users, revoked access tokens and API keys (docs/auth.md). The
audit log's table is in audit.py, with its append-only triggers."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    user_id: str = Field(primary_key=True)
    name: str
    role: str
    department: str | None = None
    grids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    area: str | None = None  # a supervisor's district or street code
    password_hash: str | None = None  # argon2id (credentials.py); None: cannot log in
    active: bool = True
    on_duty: bool = True  # department staff off duty hear nothing pushed to them
    email: str | None = None  # personal data: for e-mail notices only, never logged
    phone: str | None = None  # personal data: for SMS notices only, never logged
    token_version: int = 0  # bumped on a change of rights: older access tokens stop working


class RevokedToken(SQLModel, table=True):
    """An access token logged out before it expired; kept until its expiry, then deleted."""

    __tablename__ = "revoked_token"
    jti: str = Field(primary_key=True)
    user_id: str = Field(index=True)
    expires_at: int = Field(index=True)  # the token's exp, seconds since the epoch


class ApiKey(SQLModel, table=True):
    """A machine client's key: acts as its owner user, within its own scopes and with the role
    it was made for (api/key_scopes.py). Only the key's SHA-256 is kept."""

    __tablename__ = "api_key"
    key_id: str = Field(primary_key=True)
    user_id: str = Field(index=True)
    label: str
    key_hash: str = Field(unique=True, index=True)
    prefix: str  # the first characters of the key, to tell keys apart in a listing
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))  # api/key_scopes.KeyScope
    role: str  # the owner's role when the key was made: the key acts with it, never a later one
