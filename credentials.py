"""Passwords (argon2id) and API keys (SHA-256 of a random secret): made, hashed and checked here.

Shared by the API (log-in, key checks, the admin routes) and the read model's demo seed, which
stores the demo users' hashes; api/security.py issues and reads the access tokens. docs/auth.md
explains the choices.
"""

import asyncio
import hashlib
import secrets
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 12
API_KEY_PREFIX = "gfk_"

_passwords = PasswordHash((Argon2Hasher(),))


@cache
def _dummy_hash() -> str:
    # Verified when the user is unknown, so a wrong user name costs what a wrong password costs.
    return _passwords.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _passwords.hash(password)


_demo_hashes: dict[str, str] = {}


def demo_password_hash(password: str) -> str:
    """One argon2id hash per demo password per process: seeding a fresh database stays fast."""
    if password not in _demo_hashes:
        _demo_hashes[password] = _passwords.hash(password)
    return _demo_hashes[password]


def verify_password(password: str, password_hash: str | None) -> bool:
    """True if `password` matches; an unknown user (no hash) still pays for one verification."""
    if password_hash is None:
        _passwords.verify(password, _dummy_hash())
        return False
    try:
        return _passwords.verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, not a 500
        return False


async def verify_password_async(password: str, password_hash: str | None) -> bool:
    """verify_password off the event loop (argon2id takes tens of milliseconds on purpose)."""
    return await asyncio.to_thread(verify_password, password, password_hash)


_demo_checked: dict[tuple[str, str], bool] = {}


async def demo_password_works(password: str, password_hash: str | None) -> bool:
    """Does the demo password still open this account? Remembered per stored hash."""
    if password_hash is None:
        return False
    if password_hash == _demo_hashes.get(password):  # seeded by this process
        return True
    key = (password, password_hash)
    if key not in _demo_checked:
        _demo_checked[key] = await verify_password_async(password, password_hash)
    return _demo_checked[key]


def new_api_key() -> str:
    """A fresh API key: 256 random bits."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    # SHA-256 is enough here: the key is 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()
