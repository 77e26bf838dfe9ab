"""The one way to get a Temporal client (always with the pydantic converter) and set it up."""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from settings import Settings
from workflows import search_attributes

_INDEXED = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}


async def connect(config: Settings) -> Client:
    return await Client.connect(
        config.temporal_address,
        namespace=config.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


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
