"""`reconcile`: every ticket workflow against its read-model projection
(readmodel/tickets/reconcile.py), and the audit's calls the API left open
(readmodel/access/audit_resolve.py)."""

from datetime import timedelta

import click
from temporalio.client import Client

from gridflow_admin.options import exit_with
from logging_setup import configure_logging
from readmodel.access import audit
from readmodel.access.audit_resolve import resolve
from readmodel.db import Database
from readmodel.tickets.reconcile import reconcile as reconcile_tickets
from settings import settings
from temporal_client import connect


async def _main(repair: bool, task_queue: str | None) -> int:
    configure_logging(json=settings.log_json)
    db = Database(settings.database_url)
    try:
        client = await connect(settings)
        report = await reconcile_tickets(client=client, db=db, repair=repair, task_queue=task_queue)
        audit_line = await _audit_calls(client, db, repair, settings.audit_resolve_after_seconds)
    finally:
        await db.dispose()
    click.echo("\n".join([*report.lines(), audit_line]))
    return 0 if report.clean else 1


async def _audit_calls(client: Client, db: Database, repair: bool, after: float) -> str:
    """The audit's calls the API has not settled yet (it does so itself while it runs):
    settled from the workflows with --repair, else counted."""
    asked_before = audit.now() - timedelta(seconds=after)
    settled = await resolve(client=client, db=db, asked_before=asked_before) if repair else 0
    async with db.session() as session:
        still = len(await audit.open_calls(session=session, asked_before=asked_before))
    return f"audit: {settled} open calls settled from the workflows, {still} still open"


@click.command(short_help="Compare the ticket workflows with the read model (--repair drift).")
@click.option("--repair", is_flag=True, help="rewrite drifted tickets from their workflows")
@click.option("--task-queue", default=None, help="default: GRIDFLOW_TASK_QUEUE")
def reconcile(repair: bool, task_queue: str | None) -> None:
    """Compare every ticket workflow (the source of truth) with its row, timeline and archive
    record in the read model (GRIDFLOW_DATABASE_URL), and print each drift. --repair rewrites a
    drifted ticket from its workflow's snapshot and settles the audit's open calls from the
    workflows. Exit 0: no drift left; 1: drift remains."""
    exit_with(_main(repair, task_queue))
