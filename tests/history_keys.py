"""The key the replay tests' histories are encrypted with (tests/histories, recorded by
tests/record_histories.py). Published on purpose: they are test data that must replay on any
machine, so this is never a deployment's key. Histories from before encryption are plaintext and
replay through the same converter unchanged."""

import json

from pydantic import SecretStr
from temporalio.converter import DataConverter

from settings import Settings
from temporal_client import data_converter

HISTORY_KEY_ID = "saved-histories"
HISTORY_KEYS = {HISTORY_KEY_ID: "yZAdb07YbRkhPJv5saGfQ4D6N3qjU5x1YCtBna2J8E0="}


def history_converter() -> DataConverter:
    return data_converter(
        Settings(payload_keys=SecretStr(json.dumps(HISTORY_KEYS)), payload_key_id=HISTORY_KEY_ID)
    )
