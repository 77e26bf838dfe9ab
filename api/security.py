"""Access tokens: JWT, HS256, short-lived. Passwords and API keys are in credentials.py.

docs/auth.md explains the choices.
"""

import time
import uuid
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessToken:
    token: str
    jti: str
    expires_at: int  # seconds since the epoch
    expires_in: int  # seconds


@dataclass(frozen=True)
class TokenClaims:
    sub: str
    role: str
    ver: int
    jti: str
    exp: int


class InvalidToken(Exception):
    pass


def issue_access_token(
    *,
    user_id: str,
    role: str,
    token_version: int,
    secret: str,
    minutes: int,
    now: float | None = None,
) -> AccessToken:
    issued = int(now if now is not None else time.time())
    expires_at = issued + minutes * 60
    jti = uuid.uuid4().hex
    claims = {
        "sub": user_id,
        "role": role,
        "ver": token_version,
        "jti": jti,
        "iat": issued,
        "exp": expires_at,
    }
    token = jwt.encode(claims, secret, algorithm=ALGORITHM)
    return AccessToken(token=token, jti=jti, expires_at=expires_at, expires_in=minutes * 60)


def decode_access_token(token: str, *, secret: str) -> TokenClaims:
    """The token's claims, or InvalidToken: the algorithm is pinned (no "none", no RS256)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "iat", "jti"]}
        )
    except jwt.PyJWTError as err:
        raise InvalidToken(str(err)) from err
    sub, ver, jti = claims.get("sub"), claims.get("ver", 0), claims.get("jti")
    if not isinstance(sub, str) or not isinstance(jti, str) or type(ver) is not int:
        raise InvalidToken("malformed claims")
    return TokenClaims(
        sub=sub, role=str(claims.get("role", "")), ver=ver, jti=jti, exp=int(claims["exp"])
    )
