"""`temporal-setup`: gridflow's namespace and the ticket search attributes on a Temporal cluster.

The embedded dev server gets both from its command line (devstack.py); a cluster gets them from
this, run once per environment and again after a release that adds a search attribute
(deploy/compose.yaml's temporal-setup service, deploy/k8s's temporal-setup Job). Whatever is
already there is left as it is, so running it again changes nothing.
"""

import asyncio
import time

import click
from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from gridflow_admin.options import exit_with
from settings import Settings
from temporal_client import connect, register_search_attributes

DAY_SECONDS = 24 * 60 * 60


async def ensure_namespace(client: Client, *, retention_days: int) -> bool:
    """Register the client's namespace unless it exists; True when this call made it."""
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=client.namespace)
        )
        return False
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
    try:
        await client.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace=client.namespace,
                description="gridflow's ticket workflows",
                workflow_execution_retention_period=Duration(seconds=retention_days * DAY_SECONDS),
            )
        )
    except RPCError as err:  # another run made it meanwhile
        if err.status != RPCStatusCode.ALREADY_EXISTS:
            raise
    return True


async def ensure_search_attributes(client: Client, *, wait_seconds: float) -> None:
    """Add the missing ticket search attributes; a namespace made a moment ago is unknown to
    the operator service until the server's namespace cache refreshes (seconds), so retry."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            await register_search_attributes(client)
            return
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND or time.monotonic() > deadline:
                raise
        await asyncio.sleep(1)


async def _main(retention_days: int, wait_seconds: float) -> int:
    client = await connect(Settings())
    created = await ensure_namespace(client, retention_days=retention_days)
    click.echo(f"namespace {client.namespace}: {'created' if created else 'exists'}")
    await ensure_search_attributes(client, wait_seconds=wait_seconds)
    click.echo(f"search attributes of namespace {client.namespace}: in place")
    return 0


@click.command(
    "temporal-setup", short_help="The namespace and the ticket search attributes on a cluster."
)
@click.option(
    "--retention-days",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="how long Temporal keeps a closed ticket's history (a new namespace only)",
)
@click.option(
    "--wait-seconds",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="how long to wait for a new namespace to be usable",
)
def temporal_setup(retention_days: int, wait_seconds: float) -> None:
    """Register GRIDFLOW_TEMPORAL_NAMESPACE on the server of GRIDFLOW_TEMPORAL_ADDRESS unless it
    exists, then add the ticket search attributes it lacks. Exit 0 when both are in place."""
    exit_with(_main(retention_days, wait_seconds))
