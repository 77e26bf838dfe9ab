"""A channel's secret at rest: encrypted with the deployment's Fernet key (GRIDFLOW_SECRETS_KEY),
or the name of an environment variable that holds it. Never returned by the API, never logged."""

import os

from cryptography.fernet import Fernet, InvalidToken

from readmodel.notices.tables import NotificationChannel


class SecretUnavailable(Exception):
    """The channel's secret cannot be read here: a delivery fails and says so (not the secret)."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def check_key(key: str) -> None:
    """ValueError when `key` is not a Fernet key (32 url-safe base64-encoded bytes)."""
    Fernet(key.encode())


def encrypt(key: str, secret: str) -> str:
    return Fernet(key.encode()).encrypt(secret.encode()).decode()


def reveal(channel: NotificationChannel, key: str | None) -> str | None:
    """The channel's secret in clear, for its sender only."""
    if channel.secret_env:
        value = os.environ.get(channel.secret_env)
        if value is None:
            raise SecretUnavailable(f"environment variable {channel.secret_env} is not set")
        return value
    if channel.secret_ciphertext is None:
        return None
    if key is None:
        raise SecretUnavailable("GRIDFLOW_SECRETS_KEY is not set: the secret cannot be decrypted")
    try:
        return Fernet(key.encode()).decrypt(channel.secret_ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnavailable(
            "the secret was encrypted with another GRIDFLOW_SECRETS_KEY"
        ) from None
