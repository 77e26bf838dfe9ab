"""Payload encryption for everything the API and the worker write to Temporal
(docs/temporal-security.md): AES-256-GCM, a key ring, key ids in each payload's metadata.

A payload is encrypted with the ring's active key and names that key; it is decrypted with the key
it names, so a key retired from writing stays in the ring for as long as histories written under
it may be read. Payloads written before encryption (no `binary/encrypted` encoding) pass through
unchanged: those histories still replay and read.
"""

import base64
import binascii
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class PayloadKeysMissing(RuntimeError):
    """Encryption is on and no key was given."""


class PayloadKeysInvalid(ValueError):
    """The keys given cannot be used (not JSON, not 32 bytes, no active key)."""


class PayloadUndecryptable(ValueError):
    """A payload names a key the ring lacks, or does not decrypt with the key it names."""


@dataclass(frozen=True)
class KeyRing:
    active_id: str
    keys: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str, *, active_id: str | None) -> "KeyRing":
        """From JSON {"key-id": "<base64 of 32 random bytes>", …} and the id that writes."""
        try:
            given = json.loads(text)
        except ValueError:
            raise PayloadKeysInvalid(
                'GRIDFLOW_PAYLOAD_KEYS is not JSON: {"key-id": "<base64 of 32 bytes>", …}'
            ) from None
        if not isinstance(given, dict) or not given:
            raise PayloadKeysInvalid(
                'GRIDFLOW_PAYLOAD_KEYS names no key: {"key-id": "<base64 of 32 bytes>", …}'
            )
        keys: dict[str, bytes] = {}
        for key_id, value in given.items():
            try:
                key = base64.b64decode(str(value), validate=True)
            except binascii.Error:
                key = b""
            if len(key) != 32:
                raise PayloadKeysInvalid(
                    f"GRIDFLOW_PAYLOAD_KEYS: key {key_id!r} is not the base64 of 32 bytes"
                )
            keys[key_id] = key
        if active_id is None:
            if len(keys) > 1:
                raise PayloadKeysInvalid(
                    "GRIDFLOW_PAYLOAD_KEYS holds several keys: GRIDFLOW_PAYLOAD_KEY_ID names the "
                    "one new payloads are encrypted with"
                )
            (active_id,) = keys
        if active_id not in keys:
            raise PayloadKeysInvalid(
                f"GRIDFLOW_PAYLOAD_KEY_ID {active_id!r} is not among GRIDFLOW_PAYLOAD_KEYS"
            )
        return cls(active_id=active_id, keys=keys)


def new_key() -> str:
    """A fresh key, as GRIDFLOW_PAYLOAD_KEYS holds it."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


class EncryptionCodec(PayloadCodec):
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id = self.ring.active_id
        cipher = self._ciphers[key_id]
        sealed = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            # The key id is authenticated too: a payload relabelled with another id fails.
            data = cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
            sealed.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: key_id.encode()},
                    data=nonce + data,
                )
            )
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadUndecryptable(
                f"payload encrypted with key {key_id!r}, which is not in GRIDFLOW_PAYLOAD_KEYS "
                f"(it holds {', '.join(sorted(self._ciphers))})"
            )
        nonce, data = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, data, key_id.encode())
        except InvalidTag:
            raise PayloadUndecryptable(
                f"payload does not decrypt with key {key_id!r}: altered, or another key of that id"
            ) from None
        return Payload.FromString(plain)


def key_ring(config: Settings) -> KeyRing | None:
    """The ring from settings; None when encryption is off (GRIDFLOW_PAYLOAD_ENCRYPTION=off)."""
    if not config.payload_encryption:
        return None
    if config.payload_keys is not None:
        text = config.payload_keys.get_secret_value()
    elif config.payload_keys_file is not None:
        try:
            text = config.payload_keys_file.read_text()
        except OSError as err:
            raise PayloadKeysInvalid(f"GRIDFLOW_PAYLOAD_KEYS_FILE cannot be read: {err}") from None
    else:
        raise PayloadKeysMissing(
            "no payload encryption keys: set GRIDFLOW_PAYLOAD_KEYS (or GRIDFLOW_PAYLOAD_KEYS_FILE), "
            'JSON {"key-id": "<base64 of 32 random bytes>"}; GRIDFLOW_PAYLOAD_ENCRYPTION=off '
            "writes plaintext to Temporal instead (docs/temporal-security.md)"
        )
    return KeyRing.parse(text, active_id=config.payload_key_id)


def payload_codec(config: Settings) -> EncryptionCodec | None:
    ring = key_ring(config)
    return EncryptionCodec(ring) if ring is not None else None
