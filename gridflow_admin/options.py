"""What the commands share: the read model's --database-url, and running a coroutine as the
command's exit status."""

import asyncio
from collections.abc import Coroutine
from typing import Any, NoReturn

import click

from settings import settings

database_url = click.option(
    "--database-url",
    metavar="URL",
    default=lambda: settings.database_url,
    help="the read model (default: GRIDFLOW_DATABASE_URL)",
)


def exit_with(status: Coroutine[Any, Any, int]) -> NoReturn:
    """Run the command's work and exit with the status it returns."""
    click.get_current_context().exit(asyncio.run(status))
