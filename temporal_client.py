"""The one way to get a Temporal client and set it up: the pydantic converter with payload
encryption (temporal_codec.py), TLS, mTLS or an API key as settings say (docs/temporal-security.md).
"""

import dataclasses
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from settings import Settings
from telemetry import interceptors
from temporal_codec import payload_codec
from workflows import search_attributes

_INDEXED = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}


def data_converter(config: Settings) -> DataConverter:
    """What every client, worker, test server and replayer of ours converts payloads with."""
    codec = payload_codec(config)
    if codec is None:
        return pydantic_data_converter
    # Failure messages and stack traces go into the encrypted attributes too: a database error's
    # text can quote the row it failed on.
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def connect_options(config: Settings) -> dict[str, Any]:
    """Client.connect's keyword arguments for the frontend settings name."""
    return {
        "namespace": config.temporal_namespace,
        "data_converter": data_converter(config),
        "tls": tls(config),
        "api_key": api_key(config),
        "interceptors": interceptors(config),  # traces, with an OTLP endpoint (telemetry.py)
        "runtime": runtime(config),
    }


_runtimes: dict[str, Runtime] = {}


def runtime(config: Settings) -> Runtime | None:
    """The SDK's runtime serving its metrics at GRIDFLOW_TEMPORAL_METRICS_ADDRESS: one per
    address and process (a runtime binds its port once); None: the SDK's default, no metrics."""
    address = config.temporal_metrics_address
    if not address:
        return None
    if address not in _runtimes:
        metrics = PrometheusConfig(bind_address=address)
        _runtimes[address] = Runtime(telemetry=TelemetryConfig(metrics=metrics))
    return _runtimes[address]


async def connect(config: Settings) -> Client:
    return await Client.connect(config.temporal_address, **connect_options(config))


def tls(config: Settings) -> TLSConfig | bool:
    """Off, on with the system's roots (True), or with a private CA, a server name, a client
    certificate (mTLS); files are read here, at connect, so renewed ones count on restart."""
    ca, cert, key = (
        _read(path) if path is not None else None
        for path in (
            config.temporal_tls_server_ca_file,
            config.temporal_tls_client_cert_file,
            config.temporal_tls_client_key_file,
        )
    )
    if (cert is None) != (key is None):
        raise ValueError(
            "GRIDFLOW_TEMPORAL_TLS_CLIENT_CERT_FILE and GRIDFLOW_TEMPORAL_TLS_CLIENT_KEY_FILE "
            "go together (mTLS needs both)"
        )
    if ca or cert or config.temporal_tls_server_name:
        if config.temporal_tls is False:
            raise ValueError("GRIDFLOW_TEMPORAL_TLS=false, yet TLS files or a server name are set")
        return TLSConfig(
            server_root_ca_cert=ca,
            domain=config.temporal_tls_server_name,
            client_cert=cert,
            client_private_key=key,
        )
    if config.temporal_tls is None:
        return api_key(config) is not None  # Temporal Cloud's API keys go over TLS only
    return config.temporal_tls


def api_key(config: Settings) -> str | None:
    if config.temporal_api_key is not None:
        return config.temporal_api_key.get_secret_value()
    if config.temporal_api_key_file is not None:
        return _read(config.temporal_api_key_file).decode().strip()
    return None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise ValueError(f"{path} cannot be read for the Temporal connection: {err}") from None


async def register_search_attributes(client: Client) -> None:
    """Add the ticket search attributes that the namespace does not know yet (a cluster, a test server)."""
    try:
        known = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        have = set(known.custom_attributes) | set(known.system_attributes)
    except RPCError as err:  # the time-skipping test server cannot list, only add
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        have = set()
    missing = {
        key.name: _INDEXED[key.indexed_value_type.name]
        for key in search_attributes.ALL
        if key.name not in have
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=missing, namespace=client.namespace)
        )
