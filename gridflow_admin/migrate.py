"""`migrate`: the read model's schema (the Alembic scripts in readmodel/migrations/versions/)."""

import asyncio

import click

from readmodel.migrate import LegacySchema, autogenerate, current, downgrade, head, upgrade
from settings import settings


@click.command(short_help="Upgrade the read model to head (or --current, --revision, --downgrade).")
@click.option(
    "--database-url",
    metavar="URL",
    default=None,
    help="the read model (default: GRIDFLOW_DATABASE_URL)",
)
@click.option("--revision", "message", metavar="MESSAGE", help="autogenerate the next revision")
@click.option("--current", "show_current", is_flag=True, help="print the database's revision")
@click.option(
    "--downgrade", "to_revision", metavar="REVISION", help="downgrade to REVISION (or base)"
)
def migrate(
    database_url: str | None, message: str | None, show_current: bool, to_revision: str | None
) -> None:
    """Upgrade the read model to head (GRIDFLOW_DATABASE_URL, or --database-url); or with one
    of --revision, --current, --downgrade: write the next revision, print the database's
    revision, go back to a revision (base: empty).

    --revision compares the tables in code with a scratch SQLite database upgraded to head (not
    with your data), so it always diffs the code against the migration chain; read and edit
    what it writes before committing it.

    A database made before migrations existed (tables but no alembic_version, as `create_all`
    left data/gridflow.db) is adopted: if its tables and columns are those of the first
    revision it is stamped there and upgraded; otherwise upgrading stops with LegacySchema
    saying what differs and what to do (exit status 1).
    """
    if sum((message is not None, show_current, to_revision is not None)) > 1:
        raise click.UsageError("--revision, --current and --downgrade exclude each other")
    url = database_url or settings.database_url
    if message:
        written = asyncio.run(autogenerate(message, database_url))
        click.echo(f"wrote {written}" if written else "no changes: the migrations match the tables")
    elif show_current:
        click.echo(asyncio.run(current(url)) or "(none: empty or pre-migration database)")
    elif to_revision:
        asyncio.run(downgrade(url, to_revision))
        click.echo(f"downgraded to {to_revision}")
    else:
        try:
            asyncio.run(upgrade(url))
        except LegacySchema as err:
            click.echo(f"error: {err}", err=True)
            click.get_current_context().exit(1)
        click.echo(f"read model at revision {head()}")
