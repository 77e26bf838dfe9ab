"""`gridflow_admin temporal-setup` on a real Temporal server: a cluster's namespace that does not
exist yet is made with the retention asked for and given every ticket search attribute; a second
run changes nothing and still exits 0 (deploy/ runs it on every start)."""

import asyncio
import uuid

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from gridflow_admin.cli import main
from workflows import search_attributes


async def test_makes_the_namespace_and_its_search_attributes_once(
    dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = dev_env.client
    namespace = f"gridflow-setup-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("GRIDFLOW_TEMPORAL_ADDRESS", client.service_client.config.target_host)
    monkeypatch.setenv("GRIDFLOW_TEMPORAL_NAMESPACE", namespace)

    # The command runs its own event loop (asyncio.run), as from the console.
    status = await asyncio.to_thread(main, ["temporal-setup", "--retention-days", "7"])
    assert status == 0

    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert described.config.workflow_execution_retention_ttl.seconds == 7 * 24 * 60 * 60
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    wanted = {key.name for key in search_attributes.ALL}
    assert wanted <= set(listed.custom_attributes)

    again = await asyncio.to_thread(main, ["temporal-setup", "--retention-days", "1"])
    assert again == 0
    kept = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert kept.config.workflow_execution_retention_ttl.seconds == 7 * 24 * 60 * 60
